package main

import (
	"strings"
	"testing"
)

// TestExec runs commands in a simulated instance: output printed, the
// command's exit code passed on, a stopped or unknown uid refused with exit 2.
func TestExec(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`[{"uid":"web","image":"busybox","command":["sleep","infinity"]},{"uid":"off","image":"busybox","desired_state":"stopped"}]`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "exec", "web", "--", "echo", "hello", "there"); out != "hello there\n" {
		t.Errorf("exec echo printed %q", out)
	}
	if _, errOut, code := e.run("", "exec", "web", "--", "false"); code != 1 || !strings.Contains(errOut, "exit code 1") {
		t.Errorf("exec false: exit %d, %q; want 1", code, errOut)
	}
	for _, args := range [][]string{{"exec", "nosuch", "--", "true"}, {"exec", "web", "true"}, {"exec", "off", "--", "true"}} {
		if _, errOut, code := e.run("", args...); code != ExitUsage {
			t.Errorf("veloslet %v: exit %d (%q), want %d", args, code, errOut, ExitUsage)
		}
	}
}
