package main

import (
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

// TestReconcile_FailedPassSaysSoOnce: a pass that failed before acting
// says so instead of "0 desired … 0 failed", and a pass with a failed action
// prints that action's error once: no log line repeats it, and the
// command's error gives the count and points at it.
func TestReconcile_FailedPassSaysSoOnce(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	e.mustRun("", "fake", "faults", "--rate", "1", "--seed", "1")
	out, errOut, code := e.run("", "reconcile")
	if code == 0 || !strings.HasPrefix(out, "pass 1 by this process failed after ") || strings.Contains(out, "0 desired") {
		t.Errorf("a pass whose list failed: exit %d, stdout %q", code, out)
	}
	if n := strings.Count(out+errOut, "injected fault"); n != 1 {
		t.Errorf("the list's error printed %d times:\n%s%s", n, out, errOut)
	}
	// Seed 2 lets the list through and fails one of the two launches.
	e.mustRun("", "fake", "faults", "--rate", "0.5", "--seed", "2")
	out, errOut, code = e.run("", "reconcile")
	if code == 0 || !strings.HasPrefix(out, "pass 2 by this process failed: 2 desired, 0 observed, 2 actions, 1 failed, ") {
		t.Errorf("a pass with a failed launch: exit %d, stdout %q", code, out)
	}
	if n := strings.Count(out+errOut, "injected fault"); n != 1 {
		t.Errorf("the launch's error printed %d times:\n%s%s", n, out, errOut)
	}
	if !strings.Contains(errOut, "pass 2: 1 of 2 actions failed (each listed above)") {
		t.Errorf("stderr %q does not give the count", errOut)
	}
	e.mustRun("", "fake", "faults", "--rate", "0")
	if out := e.mustRun("", "reconcile"); !strings.HasPrefix(out, "pass 3 by this process: 2 desired, ") {
		t.Errorf("a pass that succeeded: %q", out)
	}
}
