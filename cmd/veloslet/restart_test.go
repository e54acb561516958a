package main

import (
	"strings"
	"testing"
)

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
