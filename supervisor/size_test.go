package supervisor_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestSupervisor_CrashLoopDayStaysSmall runs one spec crash-looping for 24
// simulated hours at default settings, a pass every 10 s and retention every
// hour, and checks the database stays under the bound docs/ops.md states.
func TestSupervisor_CrashLoopDayStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 8,640 passes")
	}
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "crashy", Image: "busybox"}, store.Spec{UID: "steady", Image: "busybox"})
	const bound = 8 << 20
	start := clock.Now()
	for clock.Now().Sub(start) < 24*time.Hour {
		if list, _ := rt.List(ctx); len(list) > 0 {
			for _, in := range list {
				if in.UID == "crashy" && in.State == runtime.StateRunning {
					_ = rt.SetExited("crashy", 1) // it dies as soon as it starts
				}
			}
		}
		_ = s.Reconcile(ctx)
		clock.Add(10 * time.Second)
		if clock.Now().Sub(start)%time.Hour == 0 {
			if _, err := s.DB.PruneEvents(ctx, store.Retention{MaxAge: 30 * 24 * time.Hour, MaxRows: 100_000}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.PrunePasses(ctx, store.Retention{MaxAge: 7 * 24 * time.Hour, MaxRows: 50_000}); err != nil {
				t.Fatal(err)
			}
			if err := s.DB.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.DB.Path() + suffix); err == nil {
			size += fi.Size()
		}
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{})
	recs, _ := s.DB.FindInstances(ctx)
	t.Logf("after 24 simulated hours: %d bytes on disk, %d events, restarts %d", size, len(evs), recs[0].RestartCount)
	if size > bound {
		t.Fatalf("database is %d bytes after a day of crash-looping, over the %d bound in docs/ops.md", size, bound)
	}
	if recs[0].RestartCount < 200 {
		t.Fatalf("only %d restarts in a day: the loop did not crash as intended", recs[0].RestartCount)
	}
}
