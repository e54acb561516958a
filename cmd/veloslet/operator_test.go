package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store"
)

// TestDescribe: one uid on one screen, env values never shown, the last
// exit's kept output at the end; --json carries the same facts.
func TestDescribe(t *testing.T) {
	e := newTestEnv(t, "", "")
	e.mustRun(`{"uid": "web", "image": "nginx", "command": ["echo", "hello s3cret-value"],
		"env": {"TOKEN": "s3cret-value"}, "labels": {"team": "ops"}}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	e.mustRun("", "fake", "exit", "web", "--code", "3")
	e.mustRun("", "reconcile")
	out := e.mustRun("", "describe", "web")
	for _, want := range []string{"web — running", "image nginx, restart always", "env:       TOKEN (values hidden)",
		"labels:    team=ops", "restarts:  1 (1 failure in a row)", "relaunched", "exit code 3",
		"last exit: instance fake-000001, exit code 3", "  hello [env TOKEN]"} {
		if !strings.Contains(out, want) {
			t.Fatalf("describe lacks %q:\n%s", want, out)
		}
	}
	// The command holds the value in plain sight (as a spec may); the env
	// and the kept output must not.
	if strings.Contains(out[strings.Index(out, "env:"):], "s3cret") {
		t.Fatalf("describe shows an env value:\n%s", out)
	}
	var d struct {
		UID  string `json:"uid"`
		Spec struct {
			EnvKeys []string          `json:"env_keys"`
			Env     map[string]string `json:"env"`
		} `json:"spec"`
		Status struct {
			DisplayState string `json:"display_state"`
		} `json:"status"`
		Events  []struct{ Kind string } `json:"events"`
		LastLog struct {
			ExitCode int    `json:"exit_code"`
			Text     string `json:"text"`
		} `json:"last_log"`
	}
	js := e.mustRun("", "describe", "web", "--json")
	if err := json.Unmarshal([]byte(js), &d); err != nil || strings.Count(js, "s3cret") != 1 {
		t.Fatalf("describe --json: %v\n%s", err, js)
	}
	if d.UID != "web" || !reflect.DeepEqual(d.Spec.EnvKeys, []string{"TOKEN"}) || d.Spec.Env != nil ||
		d.Status.DisplayState != "running" || len(d.Events) != 4 || d.LastLog.ExitCode != 3 || d.LastLog.Text != "hello [env TOKEN]\n" {
		t.Fatalf("describe --json = %+v", d)
	}
	if _, errOut, code := e.run("", "describe", "nosuch"); code != ExitUsage || !strings.Contains(errOut, "nosuch") {
		t.Fatalf("describe nosuch: exit %d, %s", code, errOut)
	}
}

// TestRestart: restart replaces the running instance in a pass run here
// (no daemon), recorded as replaced by an operator, counting no restart.
func TestRestart(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "nginx"}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	out := e.mustRun("", "restart", "web")
	if !strings.Contains(out, "restart of web requested") ||
		!strings.Contains(out, "web replaced: restart of instance fake-000001 requested by an operator") {
		t.Fatalf("restart printed:\n%s", out)
	}
	st := e.mustRun("", "status", "web", "--json")
	if !strings.Contains(st, `"runtime_id": "fake-000002"`) || !strings.Contains(st, `"restart_count": 0`) {
		t.Fatalf("status after restart:\n%s", st)
	}
	if out := e.mustRun("", "reconcile"); strings.Contains(out, "replaced") {
		t.Fatalf("a second pass replaced again:\n%s", out)
	}
	if _, errOut, code := e.run("", "restart", "web", "nosuch"); code != ExitUsage || !strings.Contains(errOut, `no spec "nosuch"`) {
		t.Fatalf("restart of an unknown uid: exit %d, %s", code, errOut)
	}
	// A request for an instance that does not run would wait for whatever
	// runs later (an adopted one): refused, and nothing recorded.
	e.mustRun("", "stop", "web")
	e.mustRun("", "reconcile")
	if _, errOut, code := e.run("", "restart", "web"); code != ExitUsage || !strings.Contains(errOut, "web is stopped, not a running instance of ours") {
		t.Fatalf("restart of a stopped uid: exit %d, %s", code, errOut)
	}
	e.mustRun("", "start", "web")
	if out := e.mustRun("", "reconcile"); strings.Contains(out, "replaced") || !strings.Contains(out, "desired state is running again") {
		t.Fatalf("a refused request was answered later, or the start not made:\n%s", out)
	}
	// An operator's stop and start is no restart after an exit.
	if st := e.mustRun("", "status", "web", "--json"); !strings.Contains(st, `"restart_count": 0`) {
		t.Fatalf("status after stop and start:\n%s", st)
	}
}

// TestConfigVerb: config prints the effective configuration as TOML that
// reads back to the same settings, and the paths it uses.
func TestConfigVerb(t *testing.T) {
	e := newTestEnv(t, "concurrency = 7\n")
	out := e.mustRun("", "config")
	for _, want := range []string{"# config file: " + e.config, "# database:    " + e.db, "# lock:        ", "# backups:     "} {
		if !strings.Contains(out, want) {
			t.Fatalf("config lacks %q:\n%s", want, out)
		}
	}
	back, err := ParseConfig(strings.NewReader(out))
	if err != nil {
		t.Fatalf("config output does not read back: %v\n%s", err, out)
	}
	want, err := ReadConfigFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, want) || back.Reconcile.Concurrency != 7 {
		t.Fatalf("config read back as %+v, want %+v", back, want)
	}
	var js struct {
		Config struct {
			Reconcile struct {
				Concurrency int    `json:"concurrency"`
				Schedule    string `json:"schedule"`
			} `json:"reconcile"`
		} `json:"config"`
		Paths configPaths `json:"paths"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "config", "--json")), &js); err != nil || js.Paths.Database != e.db ||
		js.Config.Reconcile.Concurrency != 7 || js.Config.Reconcile.Schedule != "@every 10s" {
		t.Fatalf("config --json: %v, %+v", err, js)
	}
}

// TestStatus_HeaderAndWatch: the header names the daemon (none here) and
// the age of the last successful pass; --watch draws a frame per tick and
// ends when its context does.
func TestStatus_HeaderAndWatch(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 10s\"\n")
	e.mustRun(`{"uid": "web", "image": "nginx"}`, "apply", "-f", "-")
	if out := e.mustRun("", "status"); !strings.HasPrefix(out, "no daemon; no successful pass yet\n") {
		t.Fatalf("status before any pass:\n%s", out)
	}
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "status"); !strings.HasPrefix(out, "no daemon; last successful pass 0s ago (pass 1)\nUID") {
		t.Fatalf("status after a pass:\n%s", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := make(chan time.Time)
	var out syncBuffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, io.Discard
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.config
		}
		return ""
	}
	m.Ticker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
	done := make(chan int)
	go func() { done <- m.Execute(ctx, []string{"status", "--watch"}) }()
	for range 2 {
		tick <- time.Now()
	}
	e.mustRun("", "stop", "web")
	tick <- time.Now() // the third frame is drawn after the stop
	poll(t, func() error {
		if n := strings.Count(out.String(), "UID  DESIRED"); n < 4 {
			return fmt.Errorf("%d frames drawn", n)
		}
		return nil
	})
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("status --watch ended with exit %d", code)
	}
	frames := strings.Split(out.String(), "no daemon;")
	if last := frames[len(frames)-1]; !strings.Contains(last, "web  stopped") {
		t.Fatalf("the last frame does not show the stop:\n%s", last)
	}
}

// TestJSON_EveryPrintingVerb: each verb that prints has --json, and its
// output is JSON with the field names docs/ops.md documents.
func TestJSON_EveryPrintingVerb(t *testing.T) {
	e := newTestEnv(t, "")
	for _, c := range []struct {
		stdin string
		args  []string
		want  []string // field names that must appear
	}{
		{`{"uid": "web", "image": "nginx"}`, []string{"apply", "-f", "-", "--json"}, []string{"uid", "outcome", "generation"}},
		{"", []string{"reconcile", "--json"}, []string{"id", "by", "trigger", "started_at", "duration_ms", "desired", "observed", "actions", "failures", "error", "events"}},
		{"", []string{"restart", "web", "--json"}, []string{"id", "by", "events"}},
		{"", []string{"stop", "web", "--json"}, []string{"uid", "outcome", "desired_state"}},
		{"", []string{"start", "web", "--json"}, []string{"uid", "outcome", "desired_state"}},
		{"", []string{"status", "--json"}, []string{"uid", "display_state", "last_error"}},
		{"", []string{"events", "--json"}, []string{"id", "at", "uid", "kind", "reason"}},
		{"", []string{"plan", "--json"}, []string{"actions", "brake_held"}},
		{"", []string{"describe", "web", "--json"}, []string{"uid", "spec", "status", "events", "last_log"}},
		{"", []string{"migrate", "status", "--json"}, []string{"version", "name", "applied", "applied_at"}},
		{"", []string{"backup", "--json"}, []string{"path", "bytes"}},
		{"", []string{"config", "--json"}, []string{"config", "paths", "database", "lock", "backups"}},
		{"", []string{"version", "--json"}, []string{"version"}},
		{"", []string{"delete", "web", "--json"}, []string{"uid", "outcome"}},
	} {
		out := e.mustRun(c.stdin, c.args...)
		var v any
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("veloslet %s: not JSON: %v\n%s", strings.Join(c.args, " "), err, out)
		}
		for _, f := range c.want {
			if !strings.Contains(out, `"`+f+`":`) {
				t.Errorf("veloslet %s: no field %q in\n%s", strings.Join(c.args, " "), f, out)
			}
		}
	}
}

// TestDisplayState_ForeignIsNotOrphan: an instance of another store whose
// uid has no spec is shown foreign (never touched), not orphan (removed).
func TestDisplayState_ForeignIsNotOrphan(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		desired, state, want string
	}{
		{"deleted", "foreign", "foreign"},
		{"deleted", "running", "orphan"},
		{"running", "foreign", "foreign"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: c.desired, State: c.state}
		if got := displayState(r, now); got != c.want {
			t.Errorf("desired %s, state %s: shown %q, want %q", c.desired, c.state, got, c.want)
		}
	}
}

// TestDisplayState_Completed: an accepted exit whose instance was removed
// (no runtime id) is shown completed; one still listed, or one the policy
// relaunches, as before.
func TestDisplayState_Completed(t *testing.T) {
	now := time.Now()
	str := func(s string) *string { return &s }
	code := func(c int) *int { return &c }
	for _, c := range []struct {
		restart, runtimeID string
		code               *int
		want               string
	}{
		{"never", "", code(0), "completed"},
		{"never", "", code(3), "completed(3)"},
		{"never", "", nil, "completed(?)"},
		{"on-failure", "", code(0), "completed"},
		{"never", "c0ffee", code(0), "exited(0)"},
		{"on-failure", "", code(1), "exited(1)"},
		{"always", "", code(0), "exited(0)"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: "running", State: "exited", Restart: str(c.restart),
			RuntimeID: str(c.runtimeID), ExitCode: c.code}
		if got := displayState(r, now); got != c.want {
			t.Errorf("restart %s, runtime id %q, code %v: shown %q, want %q", c.restart, c.runtimeID, deref(c.code, "nil"), got, c.want)
		}
	}
}

// TestDisplayState_Pulling: a launch in flight that is pulling its image
// shows as pulling, with how long it has been.
func TestDisplayState_Pulling(t *testing.T) {
	now := time.Now()
	img := "registry.example/app:1"
	r := &store.StatusRow{UID: "x", DesiredState: "running", State: "pending",
		PullImage: &img, PullingSince: store.Millis(now.Add(-42 * time.Second))}
	if got := displayState(r, now); got != "pulling 42s" {
		t.Fatalf("shown %q, want %q", got, "pulling 42s")
	}
}

// TestDisplayState_BackoffDue: a back-off deadline less than a second away,
// or past, reads "backoff due", never "backoff 0s".
func TestDisplayState_BackoffDue(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		wait time.Duration
		want string
	}{
		{40 * time.Second, "backoff 40s"},
		{1500 * time.Millisecond, "backoff 1s"},
		{400 * time.Millisecond, "backoff due"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: "running", State: "pending",
			NextAttemptAt: store.Millis(now.Add(c.wait))}
		if got := displayState(r, now); got != c.want {
			t.Errorf("wait %s: shown %q, want %q", c.wait, got, c.want)
		}
	}
	if got := untilText(-time.Minute); got != "due" {
		t.Errorf("a past deadline reads %q, want due", got)
	}
}
