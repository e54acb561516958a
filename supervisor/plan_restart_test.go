package supervisor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_Restart: an operator's restart replaces the running
// instance once, records a replaced event saying so, and counts no failure
// and no restart; the brake does not hold it back.
func TestSupervisor_Restart(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(5)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := rt.List(ctx)
	clock.Add(time.Second)
	if _, err := s.DB.RequestRestart(ctx, "s00000", "s00001", "s00002", "s00003"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.RequestRestart(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("restart of a uid without spec: %v, want ErrNotFound", err)
	}
	clock.Add(time.Second)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := rt.List(ctx)
	for i := range 4 {
		if after[i].ID == before[i].ID {
			t.Fatalf("%s still runs instance %s", after[i].UID, after[i].ID)
		}
	}
	if after[4].ID != before[4].ID {
		t.Fatal("s00004 was replaced without a request")
	}
	recs, _ := s.DB.FindInstances(ctx)
	if recs[0].RestartCount != 0 || recs[0].ConsecutiveFailures != 0 || recs[0].State != store.InstanceRunning {
		t.Fatalf("record after a restart: %+v; want running, no restart or failure counted", recs[0])
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: "s00000", Kind: store.EventReplaced})
	if len(evs) != 1 {
		t.Fatalf("%d replaced events, want 1", len(evs))
	}
	// Answered: the next pass does nothing.
	clock.Add(time.Second)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil || len(res.Plan.Actions) != 0 {
		t.Fatalf("pass after the restart: %+v, %v; want nothing to do", res.Plan.Actions, err)
	}
}
