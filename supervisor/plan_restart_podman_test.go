package supervisor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestAcceptedExit_Podman: on real podman, a restart = "never" job that
// exited 0 and was then removed by hand is not run again by the next pass
// (status: exited, no instance); `veloslet restart` runs it again.
func TestAcceptedExit_Podman(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t) // skips without podman, fails instead under VELOSLET_REQUIRE_TOOLS=1
	s := supervisor.New(storetest.MustOpenDB(t), rt)
	s.Logger = quiet
	storetest.MustApply(t, s.DB, store.Spec{UID: "job", Container: vspec.Container{Image: podmantest.Image, Command: podmantest.ExitCommand}, Restart: store.RestartNever})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	podmantest.Exit(t, rt, "job", 0)
	storetest.RetryUntil(t, 100*time.Millisecond, 30*time.Second, func() error {
		if err := s.Reconcile(ctx); err != nil {
			return err
		}
		rows, err := s.DB.FindStatus(ctx, "job")
		if err != nil || rows[0].State != string(store.InstanceExited) {
			return fmt.Errorf("job not recorded exited yet: %v", err)
		}
		return nil
	})
	if err := rt.Remove(ctx, "job"); err != nil { // `podman rm`, as an operator's clean-up
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := rt.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("listed after the removal: %+v, %v; want nothing launched", list, err)
	}
	rows, err := s.DB.FindStatus(ctx, "job")
	if err != nil || rows[0].State != string(store.InstanceExited) || rows[0].RuntimeID == nil || *rows[0].RuntimeID != "" {
		t.Fatalf("status after the removal: %+v, %v; want exited with no instance", rows, err)
	}
	if _, err := s.DB.RequestRestart(ctx, "job"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := rt.List(ctx); err != nil || len(list) != 1 || list[0].State != runtime.StateRunning {
		t.Fatalf("listed after the restart: %+v, %v; want job running again", list, err)
	}
}
