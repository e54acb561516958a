package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// TestServe_AppleEmulator runs the built binary with backend "apple" against
// the CLI emulator: it converges, relaunches an instance made to exit and
// removes an orphan, and leaves a hand-made container alone.
func TestServe_AppleEmulator(t *testing.T) {
	t.Parallel()
	emu := appletest.Emulator(t)
	e := newTestEnv(t, "")
	state := filepath.Join(e.Dir, "emu")
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "apple"
stop_timeout = "1s"
[runtime.apple]
binary = %q
[reconcile]
schedule = "@every 1s"
watch_interval = "100ms"
`, e.DB, emu)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rt := apple.New(emu)
	rt.Env = appletest.Env(state, "1.2.2")
	ctx := context.Background()
	list := func() map[string]runtime.Instance {
		l, err := rt.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return clitest.ByUID(l)
	}
	hand := runtime.RunSpec{UID: "hand", Container: spec.Container{Image: "alpine"}} // no store label: not ours
	if _, err := rt.Run(ctx, hand); err != nil {
		t.Fatal(err)
	}

	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.Serve(appletest.Env(state, "1.2.2")...)
	clitest.Poll(t, func() error {
		running := 0
		for _, in := range list() {
			if in.State == runtime.StateRunning && in.StoreID() != "" {
				running++
			}
		}
		if running != 3 {
			return fmt.Errorf("%d of 3 running", running)
		}
		return nil
	})
	db := e.OpenDB()

	appletest.Exit(t, rt, state, "1.2.2", "s001", 1)
	orphan := runtime.RunSpec{UID: "orphan", Container: spec.Container{Image: "alpine"}, StoreID: db.StoreID(), Generation: 1, SpecHash: "x"}
	if _, err := rt.Run(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	clitest.Poll(t, func() error {
		evs, _ := db.FindEvents(ctx, store.EventFilter{UID: "s001", Kind: store.EventRelaunched})
		if len(evs) == 0 {
			return fmt.Errorf("s001 not relaunched yet")
		}
		if _, ok := list()["orphan"]; ok {
			return fmt.Errorf("orphan not removed yet")
		}
		return nil
	})
	if in := list()["s001"]; in.State != runtime.StateRunning {
		t.Fatalf("s001 state %s after relaunch", in.State)
	}
	evs, _ := db.FindEvents(ctx, store.EventFilter{UID: "orphan", Kind: store.EventRemovedOrphan})
	if len(evs) != 1 {
		t.Fatalf("%d removed_orphan events for orphan, want 1", len(evs))
	}
	if in, ok := list()["hand"]; !ok || in.State != runtime.StateRunning {
		t.Fatalf("the hand-made container was touched: %+v", in)
	}
}
