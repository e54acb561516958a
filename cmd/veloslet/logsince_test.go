package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"10m", now.Add(-10 * time.Minute), ""},
		{"1h30m", now.Add(-90 * time.Minute), ""},
		{"2026-12-06T10:00:00Z", time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), ""},
		{"2026-12-06T10:00:00.5+01:00", time.Date(2026, 12, 6, 9, 0, 0, 5e8, time.UTC), ""},
		{"0s", time.Time{}, "must be positive"},
		{"yesterday", time.Time{}, `--since "yesterday": want a duration`},
	} {
		got, err := parseSince(tc.in, now)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseSince(%q): %v, want an error with %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("parseSince(%q)=%v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestLogs_SinceRefusedWithoutTimes: a runtime that keeps no times (the
// simulated one, as Apple's CLI) refuses --since and --timestamps by name
// (exit 2) instead of printing every line; with --previous both are refused.
func TestLogs_SinceRefusedWithoutTimes(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "busybox", "command": ["echo", "hi"]}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	for _, args := range [][]string{{"--since", "10m"}, {"--timestamps"}, {"--previous", "--since", "1h"}} {
		_, errOut, code := e.run("", append([]string{"logs", "web"}, args...)...)
		if code != ExitUsage || !strings.Contains(errOut, "--since and --timestamps") {
			t.Errorf("logs web %v: exit %d, %q", args, code, errOut)
		}
	}
	if _, errOut, code := e.run("", "logs", "web", "--since", "soon"); code != ExitUsage || !strings.Contains(errOut, `--since "soon"`) {
		t.Errorf("logs --since soon: exit %d, %q", code, errOut)
	}
}

var stampedLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$`)

// TestLogs_SinceTimestampsFollowPodman: --follow --timestamps prints each
// line of a container as it comes with podman's time, until the container
// ends; --since a time between two lines prints the later one alone.
func TestLogs_SinceTimestampsFollowPodman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	e.mustRun(fmt.Sprintf(`{"uid": "two", "image": %q, "restart": "never",
		"command": ["sh", "-c", "echo one; sleep 2; echo two"]}`, podmantest.Image), "apply", "-f", "-")
	run := podmanRunner(t, e, rt)
	run("reconcile")
	out := run("logs", "two", "--follow", "--timestamps") // returns when the container ends
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var at []time.Time
	for i, l := range lines {
		m := stampedLine.FindStringSubmatch(l)
		if m == nil || m[2] != []string{"one", "two"}[min(i, 1)] {
			t.Fatalf("logs --follow --timestamps = %q, want one and two, each after its time", out)
		}
		ts, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			t.Fatal(err)
		}
		at = append(at, ts)
	}
	if len(at) != 2 || at[1].Sub(at[0]) < time.Second {
		t.Fatalf("logs --follow --timestamps = %q: want two lines about 2 s apart", out)
	}
	mid := at[0].Add(at[1].Sub(at[0]) / 2).UTC().Format(time.RFC3339Nano)
	if got := run("logs", "two", "--since", mid); got != "two\n" {
		t.Fatalf("logs --since %s = %q, want the second line alone", mid, got)
	}
	if got := run("logs", "two", "--since", "1h"); got != "one\ntwo\n" {
		t.Fatalf("logs --since 1h = %q, want both lines", got)
	}
}
