package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoSpecsTOML = `
[[spec]]
uid = "web"
image = "nginx:1.27"
memory = "256M"
[spec.env]
TOKEN = "s3cret-value"

[[spec]]
uid = "worker"
image = "busybox"
command = ["sleep", "infinity"]
restart = "on-failure"
`

func TestCLI_Help(t *testing.T) {
	e := newBareTestEnv(t, "")
	verbs := [][]string{{}, {"serve"}, {"apply"}, {"delete"}, {"stop"}, {"start"}, {"status"}, {"events"},
		{"plan"}, {"reconcile"}, {"migrate"}, {"migrate", "status"}, {"migrate", "up"}, {"version"},
		{"fake"}, {"fake", "exit"}, {"completion", "bash"}}
	for _, v := range verbs {
		args := append(append([]string{}, v...), "--help")
		if len(v) > 0 && v[0] == "completion" {
			args = v
		}
		out := e.mustRun("", args...)
		if !strings.Contains(out, "Usage:") && !strings.Contains(out, "bash completion") {
			t.Errorf("veloslet %s: no usage text:\n%s", strings.Join(args, " "), out)
		}
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Fatalf("--help created the database: %v", err)
	}
}

func TestCLI_Errors(t *testing.T) {
	e := newBareTestEnv(t, "")
	bad := filepath.Join(e.Dir, "bad.toml")
	write := func(name, text string) string {
		p := filepath.Join(e.Dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badConfig := write("badkey.toml", "[reconcile]\nschedul = \"@every 1s\"\n")
	badCron := write("badcron.toml", "[reconcile]\nschedule = \"every ten seconds\"\n")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"UnknownVerb", "", []string{"frobnicate"}, []string{"unknown command", "frobnicate"}},
		{"BadFlag", "", []string{"status", "--colour"}, []string{"unknown flag", "--colour"}},
		{"ApplyNoFile", "", []string{"apply"}, []string{"-f"}},
		{"MissingFile", "", []string{"apply", "-f", bad}, []string{"bad.toml", "no such file"}},
		{"InvalidTOML", "[[spec]\nuid = 1", []string{"apply", "-f", "-"}, []string{"toml", "line"}},
		{"InvalidJSON", `{"uid": "web", "image": }`, []string{"apply", "-f", "-"}, []string{"json", "syntax"}},
		{"UnknownJSONField", `{"uid": "web", "imag": "x"}`, []string{"apply", "-f", "-"}, []string{"unknown key imag", "did you mean image"}},
		{"UnknownTOMLKey", "[[spec]]\nuid = \"web\"\nimage = \"x\"\nrestrat = \"never\"", []string{"apply", "-f", "-"}, []string{"unknown key spec.restrat (did you mean restart?)"}},
		{"BadUID", `{"uid": "Web!", "image": "x"}`, []string{"apply", "-f", "-"}, []string{"uid", "Web!"}},
		{"BadImage", `[{"uid": "a", "image": "x"}, {"uid": "b", "image": "--privileged"}]`, []string{"apply", "-f", "-"}, []string{`spec "b"`, "image", "--privileged"}},
		{"BadRestart", `{"uid": "a", "image": "x", "restart": "sometimes"}`, []string{"apply", "-f", "-"}, []string{"restart", "sometimes"}},
		{"BadMemory", `{"uid": "a", "image": "x", "memory": "lots"}`, []string{"apply", "-f", "-"}, []string{"memory", "lots"}},
		{"NoSpecs", "", []string{"apply", "-f", "-"}, []string{"no specs"}},
		{"UnknownConfigKey", "", []string{"--config", badConfig, "status"}, []string{"unknown key", "reconcile.schedul"}},
		{"BadCronSpec", "", []string{"--config", badCron, "status"}, []string{"reconcile.schedule", "every ten seconds"}},
		{"StatusWithoutDB", "", []string{"status"}, []string{"no database"}},
		{"DeleteNeedsUID", "", []string{"delete"}, []string{"UID"}},
		{"ExtraArg", "", []string{"plan", "now"}, []string{"no arguments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := e.run(tc.stdin, tc.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr=%q stdout=%q", code, ExitUsage, errOut, out)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || !strings.HasPrefix(errOut, "veloslet: ") {
				t.Errorf("stderr is not one line starting with veloslet: %q", errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not mention %q", errOut, w)
				}
			}
			if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
				t.Fatalf("a failed command created the database: %v", err)
			}
		})
	}
}

func TestCLI_SpecLifecycle(t *testing.T) {
	e := newTestEnv(t, "")
	if out := e.mustRun(twoSpecsTOML, "apply", "-f", "-"); out != "web created\nworker created\n" {
		t.Fatalf("apply output %q", out)
	}
	if out := e.mustRun(twoSpecsTOML, "apply", "-f", "-"); out != "web unchanged\nworker unchanged\n" {
		t.Fatalf("re-apply output %q", out)
	}
	changed := `[{"uid": "web", "image": "nginx:1.28", "memory": "256M", "env": {"TOKEN": "s3cret-value"}}]`
	if out := e.mustRun(changed, "apply", "-f", "-"); out != "web updated (generation 2)\n" {
		t.Fatalf("JSON apply output %q", out)
	}
	// A bad spec in a batch writes none of it.
	_, _, code := e.run(`[{"uid": "new", "image": "x"}, {"uid": "web", "image": "-x"}]`, "apply", "-f", "-")
	if code != ExitUsage || strings.Contains(e.mustRun("", "status"), "new ") {
		t.Fatalf("exit %d; a batch with a bad spec was partly written", code)
	}

	status := e.mustRun("", "status")
	for _, want := range []string{"UID", "DESIRED", "STATE", "RESTARTS", "AGE", "IMAGE", "LAST EVENT", "web", "pending", "nginx:1.28"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	e.mustRun("", "reconcile")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("", "status", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["uid"] != "web" || rows[0]["state"] != "running" || rows[0]["display_state"] != "running" {
		t.Fatalf("status --json = %v", rows)
	}
	e.mustRun("", "stop", "web")
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "status", "web"); !strings.Contains(out, "stopped") {
		t.Fatalf("status after stop:\n%s", out)
	}
	e.mustRun("", "start", "web")
	e.mustRun("", "delete", "worker")
	plan := e.mustRun("", "plan")
	if !strings.Contains(plan, "remove-orphan") || !strings.Contains(plan, "relaunch") {
		t.Fatalf("plan:\n%s", plan)
	}
	var p struct {
		Actions []struct{ Kind, UID, Reason string }
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "plan", "--json")), &p); err != nil || len(p.Actions) != 2 {
		t.Fatalf("plan --json: %v %+v", err, p)
	}
	out := e.mustRun("", "reconcile")
	if !strings.Contains(out, "by this process") || !strings.Contains(out, "removed_orphan") {
		t.Fatalf("reconcile output:\n%s", out)
	}
	if out := e.mustRun("", "plan"); !strings.Contains(out, "nothing to do") {
		t.Fatalf("plan after reconcile:\n%s", out)
	}

	events := e.mustRun("", "events", "--uid", "web", "--json", "--limit", "0")
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(events), "\n") {
		var ev struct{ Kind string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("events --json line %q: %v", line, err)
		}
		kinds = append(kinds, ev.Kind)
	}
	want := "spec_created,spec_updated,launched,spec_updated,stopped,spec_updated,relaunched"
	if strings.Join(kinds, ",") != want {
		t.Fatalf("web events %v, want %s", kinds, want)
	}
	table := e.mustRun("", "events", "--since", "1h")
	if !strings.Contains(table, "TIME") || !strings.Contains(table, "removed_orphan") {
		t.Fatalf("events table:\n%s", table)
	}
	for _, out := range []string{status, e.mustRun("", "status", "--json"), events, table} {
		if strings.Contains(out, "s3cret-value") {
			t.Fatalf("an env value was printed:\n%s", out)
		}
	}
}

func TestCLI_MigrateAndVersion(t *testing.T) {
	e := newBareTestEnv(t, "")
	if _, _, code := e.run("", "migrate", "status"); code != ExitUsage {
		t.Fatalf("migrate status without a database: exit %d, want 2", code)
	}
	out := e.mustRun("", "migrate", "up")
	if !strings.Contains(out, "00001_create_tables.sql") || strings.Contains(out, "pending") {
		t.Fatalf("migrate up:\n%s", out)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(e.mustRun("", "version", "--json")), &v); err != nil || v["version"] == "" {
		t.Fatalf("version --json: %v %v", v, err)
	}
	if out := e.mustRun("", "version"); !strings.HasPrefix(out, "veloslet ") {
		t.Fatalf("version: %q", out)
	}
}
