package supervisor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestSupervisor_SpecMaxAttempts: with [restart] max_attempts at its
// default, a spec's restart_max_attempts = 1 gives up at the second
// failure in a row, saying so; raising it (no replacement) and an
// operator's start run it again.
func TestSupervisor_SpecMaxAttempts(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	sp := specs(1)[0]
	sp.Restart, sp.RestartMaxAttempts = store.RestartOnFailure, 1
	storetest.MustApply(t, s.DB, sp)
	_ = s.Reconcile(ctx)
	for range 2 {
		if err := rt.SetExited(sp.UID, 1); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute) // less than backoff_reset, more than any back-off here
		_ = s.Reconcile(ctx)
		clock.Add(time.Minute)
		_ = s.Reconcile(ctx)
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventGaveUp})
	if len(evs) != 1 || !strings.Contains(evs[0].Reason, "failed 2 times in a row (max_attempts 1)") {
		t.Fatalf("gave_up events %+v, want one after 2 failures naming max_attempts 1 (the daemon's is %d)", evs, s.Policy.MaxAttempts)
	}
	recs, _ := storetest.FindInstances(ctx, s.DB)
	if len(recs) != 1 || recs[0].State != store.InstanceGaveUp {
		t.Fatalf("records %+v, want gave_up", recs)
	}
	gen := recs[0].Generation
	sp.RestartMaxAttempts = 5
	if r := storetest.MustApply(t, s.DB, sp); r[0].Outcome != store.Updated || r[0].Generation != gen {
		t.Fatalf("raising restart_max_attempts: %+v, want updated at generation %d (no replacement)", r[0], gen)
	}
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredRunning, sp.UID); err != nil {
		t.Fatal(err)
	}
	_ = s.Reconcile(ctx)
	if list, _ := rt.List(ctx); len(list) != 1 || list[0].State != runtime.StateRunning {
		t.Fatalf("after an operator's start: %+v, want running", list)
	}
}
