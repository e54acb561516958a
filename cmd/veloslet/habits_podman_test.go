package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// TestHabits_Podman: on real podman, exec runs in the instance and passes
// its exit code on, stop -l stops the selected specs' containers, and
// apply --prune -l deletes (and the next pass removes) what the input
// dropped from its scope.
func TestHabits_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	spec := func(uid, team string) string {
		return fmt.Sprintf(`{"uid": %q, "image": %q, "command": ["sleep", "100000"], "labels": {"team": %q}}`, uid, podmantest.Image, team)
	}
	mustPodmanCLI(t, e, rt, "["+spec("h1", "a")+","+spec("h2", "a")+","+spec("h3", "b")+"]", "apply", "-f", "-")
	mustPodmanCLI(t, e, rt, "", "reconcile")
	if out := mustPodmanCLI(t, e, rt, "", "exec", "h1", "--", "sh", "-c", "echo in $(hostname)"); !strings.HasPrefix(out, "in ") {
		t.Errorf("exec printed %q", out)
	}
	if _, errOut, code := podmanCLI(t, e, rt, "", "exec", "h1", "--", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec of exit 7: exit %d (%q)", code, errOut)
	}
	mustPodmanCLI(t, e, rt, "", "stop", "-l", "team=b")
	mustPodmanCLI(t, e, rt, "", "reconcile")
	mustPodmanCLI(t, e, rt, "["+spec("h1", "a")+"]", "apply", "-f", "-", "--prune", "-l", "team=a")
	mustPodmanCLI(t, e, rt, "", "reconcile")
	byUID, _ := running(t, rt)
	if in, ok := byUID["h1"]; !ok || in.State != runtime.StateRunning {
		t.Errorf("h1 (kept): %+v", in)
	}
	if _, ok := byUID["h2"]; ok {
		t.Errorf("h2 (pruned) still has a container")
	}
	if in, ok := byUID["h3"]; !ok || in.State == runtime.StateRunning {
		t.Errorf("h3 (stopped by -l team=b): %+v", in)
	}
}
