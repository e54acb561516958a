package main

import (
	"context"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// applyFleetBatch writes a batch as the fleet mirror does.
func (e *testEnv) applyFleetBatch(b store.FleetBatch) {
	e.T.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, e.DB)
	if err != nil {
		e.T.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	b.Bucket, b.Source = "veloslet_specs", "veloslet_specs/mini-1/1"
	if _, err := db.ApplyFleetBatch(ctx, b); err != nil {
		e.T.Fatal(err)
	}
}

// TestStatus_BrakeHoldsFleetRemovals (issue 30): the fleet deleted five of
// six specs; the brake holds their removal and `status` says why and what
// lets them go; `reconcile --force` removes them and the line goes.
func TestStatus_BrakeHoldsFleetRemovals(t *testing.T) {
	e := newTestEnv(t, `brake_hold = "1ms"`)
	uids := []string{"a", "b", "c", "d", "e", "f"}
	var puts, dels []store.FleetChange
	for i, uid := range uids {
		puts = append(puts, store.FleetChange{UID: uid, Key: "mini-1." + uid, Revision: int64(i + 1),
			Spec: &store.Spec{UID: uid, Container: spec.Container{Image: "busybox:1.37", Command: []string{"sleep", "infinity"}}}})
		if i > 0 {
			dels = append(dels, store.FleetChange{UID: uid, Key: "mini-1." + uid, Revision: int64(10 + i), Delete: true})
		}
	}
	e.applyFleetBatch(store.FleetBatch{Revision: 6, Changes: puts})
	e.mustRun("", "reconcile")
	e.wantRunning(uids...)

	e.applyFleetBatch(store.FleetBatch{Revision: 15, Changes: dels})
	e.mustRun("", "reconcile")
	e.wantRunning(uids...)
	out := e.mustRun("", "status")
	if !strings.Contains(out, "brake: HELD since") || !strings.Contains(out, "the fleet deleted the specs of 5") ||
		!strings.Contains(out, "veloslet reconcile --force") || !strings.Contains(out, "fleet resync --node NODE --confirm") {
		t.Fatalf("status does not say why the brake holds:\n%s", out)
	}
	events := e.mustRun("", "events")
	if !strings.Contains(events, "the fleet deleted the specs of 5") {
		t.Fatalf("events:\n%s", events)
	}

	e.mustRun("", "reconcile", "--force")
	e.wantRunning("a")
	if out := e.mustRun("", "status"); strings.Contains(out, "brake:") {
		t.Fatalf("status after the forced pass:\n%s", out)
	}
}
