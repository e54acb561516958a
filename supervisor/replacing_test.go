package supervisor_test

import (
	"context"
	"slices"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestSupervisor_ReplacingEventWhileInFlight: a replacement writes a
// replacing event before its runtime calls begin, so that status (read from
// the file by another process) can show the uid replacing while the old
// instance goes; the outcome's replaced event follows it.
func TestSupervisor_ReplacingEventWhileInFlight(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	web := specs(1)[0]
	storetest.MustApply(t, s.DB, web)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	var during []*store.StatusRow
	rt.RemoveFunc = func(ctx context.Context, uid string) error {
		rows, err := s.DB.FindStatus(ctx, uid)
		if err != nil {
			return err
		}
		during = rows
		rt.RemoveFunc = nil
		return rt.Remove(ctx, uid)
	}
	web.Image = "busybox:1.37"
	storetest.MustApply(t, s.DB, web)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || lastEvent(during[0]) != string(store.EventReplacing) || during[0].State != string(store.InstanceRunning) {
		t.Fatalf("status during the removal: %+v, want state running with last event replacing", during)
	}
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: web.UID})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []store.EventKind
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	want := []store.EventKind{store.EventSpecCreated, store.EventLaunched, store.EventSpecUpdated, store.EventReplacing, store.EventReplaced}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	if r := evs[3]; r.Generation != 2 || r.Reason == "" {
		t.Fatalf("replacing event %+v: want generation 2 and the reason", r)
	}
}

func lastEvent(r *store.StatusRow) string {
	if r.LastEvent == nil {
		return ""
	}
	return *r.LastEvent
}
