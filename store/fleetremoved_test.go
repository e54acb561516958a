package store_test

import (
	"context"
	"maps"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestDB_FleetRemovals: a batch that deletes specs notes the uids that still
// have an instance record, with the batch's revision; a uid leaves the note
// once its record is gone or it has a spec again; a confirmed batch
// (ClearHold) forgets them all and notes none of its own deletions.
func TestDB_FleetRemovals(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	mustFleet(t, db, store.FleetBatch{Revision: 4, Changes: []store.FleetChange{
		fleetPut("a", 1, "nginx:1.27"), fleetPut("b", 2, "nginx:1.27"), fleetPut("c", 3, "nginx:1.27"), fleetPut("d", 4, "nginx:1.27")}})
	for _, uid := range []string{"a", "b", "c"} { // d never launched
		if err := db.RecordOutcome(ctx, store.Outcome{Instance: &store.Instance{UID: uid, RuntimeID: "id-" + uid,
			State: store.InstanceRunning, Generation: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(uid string, rev int64) store.FleetChange {
		return store.FleetChange{UID: uid, Key: "n1." + uid, Revision: rev, Delete: true}
	}
	want := func(w map[string]int64) {
		t.Helper()
		got, err := db.FleetRemovals(ctx)
		if err != nil || !maps.Equal(got, w) {
			t.Fatalf("fleet removals %v (%v), want %v", got, err, w)
		}
	}
	want(map[string]int64{})

	mustFleet(t, db, store.FleetBatch{Revision: 7, Changes: []store.FleetChange{del("a", 5), del("b", 6), del("d", 7)}})
	want(map[string]int64{"a": 7, "b": 7}) // d had no instance: nothing to remove

	// a's instance removed; b applied again by the fleet: both leave the note
	// with the next batch.
	if err := db.RecordOutcome(ctx, store.Outcome{Delete: "a"}); err != nil {
		t.Fatal(err)
	}
	mustFleet(t, db, store.FleetBatch{Revision: 9, Changes: []store.FleetChange{fleetPut("b", 8, "nginx:1.27"), del("c", 9)}})
	want(map[string]int64{"c": 9})

	// Confirmed: the note goes, and the confirmed batch's own deletion is
	// not noted.
	mustFleet(t, db, store.FleetBatch{Revision: 10, ClearHold: true, Changes: []store.FleetChange{del("b", 10)}})
	want(map[string]int64{})
	owned, err := db.FindFleetSpecs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(owned) != 0 {
		t.Fatalf("fleet specs left %+v", owned)
	}
}
