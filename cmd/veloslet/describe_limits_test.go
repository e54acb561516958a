package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDescribe_SpecLimits: describe shows a spec's restart_max_attempts
// beside its restart policy and its log_max_size among the launch fields,
// and --json carries both under their keys.
func TestDescribe_SpecLimits(t *testing.T) {
	e := newTestEnv(t, "", "")
	e.mustRun(`{"uid": "job", "image": "busybox", "restart": "on-failure", "restart_max_attempts": 3,
		"log_max_size": "1M"}`, "apply", "-f", "-")
	out := e.mustRun("", "describe", "job")
	for _, want := range []string{"restart on-failure (gives up after 3 relaunches in a row)", "log_max_size: 1048576"} {
		if !strings.Contains(out, want) {
			t.Fatalf("describe lacks %q:\n%s", want, out)
		}
	}
	var d struct {
		Spec struct {
			RestartMaxAttempts int   `json:"restart_max_attempts"`
			LogMaxSize         int64 `json:"log_max_size"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "describe", "job", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Spec.RestartMaxAttempts != 3 || d.Spec.LogMaxSize != 1<<20 {
		t.Fatalf("describe --json: %+v", d.Spec)
	}
}
