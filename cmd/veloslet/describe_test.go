package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
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
