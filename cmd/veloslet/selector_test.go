package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	labels := map[string]string{"team": "web", "tier": "front"}
	for _, c := range []struct {
		sel  string
		want bool
	}{
		{"team=web", true}, {"team==web", true}, {"team=db", false}, {"team!=db", true},
		{"team", true}, {"!team", false}, {"owner", false}, {"!owner", true},
		{"team=web,tier=front", true}, {"team=web,tier=back", false},
	} {
		terms, err := parseSelector(c.sel)
		if err != nil {
			t.Fatalf("%q: %v", c.sel, err)
		}
		got := true
		for _, term := range terms {
			got = got && term.match(labels)
		}
		if got != c.want {
			t.Errorf("%q matches %v: %v, want %v", c.sel, labels, got, c.want)
		}
	}
	for _, bad := range []string{"", "=web", "team=web,", "!", "a b=c"} {
		if _, err := parseSelector(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestSelector_Verbs: stop, start, status and delete take -l and --all as
// kubectl's verbs do; a selection and uids together, or a selection that
// matches nothing, is refused with exit 2.
func TestSelector_Verbs(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`[{"uid":"a1","image":"busybox","labels":{"team":"a"}},{"uid":"a2","image":"busybox","labels":{"team":"a"}},{"uid":"b1","image":"busybox","labels":{"team":"b"}}]`, "apply", "-f", "-")
	if out := e.mustRun("", "stop", "-l", "team=a"); out != "a1 desired state stopped\na2 desired state stopped\n" {
		t.Errorf("stop -l team=a printed %q", out)
	}
	var rows []struct {
		UID     string `json:"uid"`
		Desired string `json:"desired_state"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "status", "-l", "team!=b", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.UID+":"+r.Desired)
	}
	if !slices.Equal(got, []string{"a1:stopped", "a2:stopped"}) {
		t.Errorf("status -l team!=b: %v", got)
	}
	if out := e.mustRun("", "start", "--all"); strings.Count(out, "desired state running") != 3 {
		t.Errorf("start --all printed %q", out)
	}
	for _, args := range [][]string{{"stop", "a1", "--all"}, {"stop"}, {"delete", "-l", "team=c"}, {"stop", "-l", "=x"}, {"delete", "--all", "-l", "team=a"}} {
		if _, errOut, code := e.run("", args...); code != ExitUsage {
			t.Errorf("veloslet %v: exit %d (%q), want %d", args, code, errOut, ExitUsage)
		}
	}
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "restart", "-l", "team=b"); !strings.Contains(out, "restart of b1 requested") || !strings.Contains(out, "b1 replaced") {
		t.Errorf("restart -l team=b printed %q", out)
	}
	if out := e.mustRun("", "delete", "-l", "team=b"); out != "b1 deleted\n" {
		t.Errorf("delete -l team=b printed %q", out)
	}
}
