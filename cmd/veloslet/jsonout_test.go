package main

import (
	"encoding/json"
	"strings"
	"testing"
)

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
