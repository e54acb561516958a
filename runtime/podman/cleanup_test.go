package podman_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/spec"
)

// TestRun_CleanupByCodeAndLook: a run whose command cannot start (exit 127)
// leaves no container behind, and a container made by hand under our name
// is reported as ErrExists and left alone; neither decision reads podman's
// wording.
func TestRun_CleanupByCodeAndLook(t *testing.T) {
	rt := podmantest.New(t)
	ctx := context.Background()
	spec := runtime.RunSpec{UID: "nocmd",
		Container:  spec.Container{Image: podmantest.Image, Command: []string{"/no/such/command"}},
		StoreID:    "s",
		Generation: 1,
		SpecHash:   "h"}
	_, err := rt.Run(ctx, spec)
	var ce *podman.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 127 {
		t.Fatalf("run: err=%v, want podman's exit 127", err)
	}
	if list, err := rt.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after the failed run: %v, %v; want nothing left", list, err)
	}

	hand := exec.Command(rt.Binary, "run", "-d", "--name", rt.Prefix+"byhand", podmantest.Image, "sleep", "300")
	hand.Env = append(os.Environ(), rt.Env...)
	if out, err := hand.CombinedOutput(); err != nil {
		t.Fatalf("run by hand: %v: %s", err, out)
	}
	spec.UID, spec.Command = "byhand", podmantest.ExitCommand
	if _, err := rt.Run(ctx, spec); !errors.Is(err, runtime.ErrExists) {
		t.Fatalf("run over a hand-made container: err=%v, want ErrExists", err)
	}
	list, err := rt.List(ctx)
	if err != nil || len(list) != 1 || list[0].State != runtime.StateRunning {
		t.Fatalf("the hand-made container: %+v, %v; want it still running", list, err)
	}
}
