package main

import (
	"strings"
	"testing"
)

func TestCLI_FakeExit(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "a", "image": "x"}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	e.mustRun("", "fake", "exit", "a", "--code", "3")
	out := e.mustRun("", "reconcile")
	if !strings.Contains(out, "a exited: exit code 3") || !strings.Contains(out, "a relaunched") {
		t.Fatalf("reconcile after fake exit:\n%s", out)
	}
}

// TestCLI_FakeExecResult: execs in a simulated instance answer as set, from
// another process's view of the state file too, until it starts again.
func TestCLI_FakeExecResult(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "a", "image": "x"}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	if _, errOut, code := e.run("", "fake", "exec-result", "nosuch", "--code", "1"); code != ExitUsage || !strings.Contains(errOut, `"nosuch"`) {
		t.Fatalf("exec-result of an unknown uid: exit %d, %q", code, errOut)
	}
	e.mustRun("", "fake", "exec-result", "a", "--code", "3", "--output", "not ready")
	out, _, code := e.run("", "exec", "a", "--", "pg_isready")
	if code != 3 || !strings.Contains(out, "not ready") {
		t.Fatalf("exec after exec-result: exit %d, %q; want 3 and the output", code, out)
	}
	e.mustRun("", "fake", "exit", "a", "--code", "1")
	e.mustRun("", "reconcile") // relaunched in place: a new start answers afresh
	if out, _, code := e.run("", "exec", "a", "--", "pg_isready"); code != 0 || strings.Contains(out, "not ready") {
		t.Fatalf("exec after the instance started again: exit %d, %q; want 0", code, out)
	}
}
