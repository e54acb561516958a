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
