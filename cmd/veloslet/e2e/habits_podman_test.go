package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// TestHabits_Podman: on real podman, exec runs in the instance and passes
// its exit code on; logs -l --since --timestamps prints the selected
// instances' output, each line led by its uid and the runtime's time, and
// describe -l one block each; stop -l stops the selected specs' containers;
// apply --prune -l --dry-run names what it would delete and deletes
// nothing, and without --dry-run deletes it (and the next pass removes its
// container).
func TestHabits_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	spec := func(uid, team string) string {
		return fmt.Sprintf(`{"uid": %q, "image": %q, "command": ["sh", "-c", "echo up; exec sleep 100000"], "labels": {"team": %q}}`,
			uid, podmantest.Image, team)
	}
	e.MustRun(rt.Env, "["+spec("h1", "a")+","+spec("h2", "a")+","+spec("h3", "b")+"]", "apply", "-f", "-")
	e.MustRun(rt.Env, "", "reconcile")
	if out := e.MustRun(rt.Env, "", "exec", "h1", "--", "sh", "-c", "echo in $(hostname)"); !strings.HasPrefix(out, "in ") {
		t.Errorf("exec printed %q", out)
	}
	if _, errOut, code := e.Run(rt.Env, "", "exec", "h1", "--", "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("exec of exit 7: exit %d (%q)", code, errOut)
	}
	// Both have printed "up" once the pass is done; polled all the same.
	clitest.Poll(t, func() error {
		out := e.MustRun(rt.Env, "", "logs", "-l", "team=a", "--since", "10m", "--timestamps")
		if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 2 ||
			!strings.HasPrefix(lines[0], "h1 | 20") || !strings.HasSuffix(lines[0], " up") ||
			!strings.HasPrefix(lines[1], "h2 | 20") || !strings.HasSuffix(lines[1], " up") {
			return fmt.Errorf("logs -l team=a --since 10m --timestamps printed %q", out)
		}
		return nil
	})
	if blocks := strings.Split(e.MustRun(rt.Env, "", "describe", "-l", "team=a"), "\n\n"); len(blocks) != 2 ||
		!strings.HasPrefix(blocks[0], "h1 — running") || !strings.HasPrefix(blocks[1], "h2 — running") {
		t.Errorf("describe -l team=a: %q", blocks)
	}
	e.MustRun(rt.Env, "", "stop", "-l", "team=b") // the pass below stops it
	_, errOut, code := e.Run(rt.Env, "["+spec("h1", "a")+"]", "apply", "-f", "-", "--prune", "-l", "team=a", "--dry-run")
	if code != 0 || errOut != "prune: would delete h2 (not in the input)\n" {
		t.Errorf("apply --prune --dry-run: exit %d, stderr %q", code, errOut)
	}
	// h2 is still there to be deleted: the dry run wrote nothing.
	if out := e.MustRun(rt.Env, "["+spec("h1", "a")+"]", "apply", "-f", "-", "--prune", "-l", "team=a"); !strings.Contains(out, "h2 deleted (pruned: not in the input)") {
		t.Errorf("apply --prune printed %q", out)
	}
	e.MustRun(rt.Env, "", "reconcile")
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
