package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

func fleetPut(uid string, rev int64, image string) store.FleetChange {
	return store.FleetChange{UID: uid, Key: "n1." + uid, Revision: rev, Spec: &store.Spec{UID: uid, Container: spec.Container{Image: image}}}
}

func mustFleet(t *testing.T, db *store.DB, b store.FleetBatch) store.FleetResult {
	t.Helper()
	b.Bucket, b.Source = "veloslet_specs", "veloslet_specs/n1"
	res, err := db.ApplyFleetBatch(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDB_ApplyFleetBatch(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "local", Container: spec.Container{Image: "alpine:3.20"}})

	res := mustFleet(t, db, store.FleetBatch{Revision: 2, Changes: []store.FleetChange{
		fleetPut("web", 1, "nginx:1.27"), fleetPut("db", 2, "postgres:17")}})
	if res.Created != 2 {
		t.Fatalf("result %+v, want 2 created", res)
	}
	if src, rev, err := db.FleetPosition(ctx); err != nil || rev != 2 || src != "veloslet_specs/n1" {
		t.Fatalf("position %q %d %v", src, rev, err)
	}

	t.Run("LocalChangesRefused", func(t *testing.T) {
		_, err := db.UpsertSpecs(ctx, []store.Spec{{UID: "web", Container: spec.Container{Image: "nginx:1.28"}}})
		var owned *store.FleetOwnedError
		if !errors.As(err, &owned) || !errors.Is(err, store.ErrInvalid) || owned.Key != "n1.web" {
			t.Fatalf("apply: %v, want a FleetOwnedError naming n1.web", err)
		}
		if err := db.DeleteSpecs(ctx, "local", "db"); !errors.Is(err, store.ErrFleetOwned) {
			t.Fatalf("delete: %v", err)
		}
		if _, err := db.SetDesiredState(ctx, store.DesiredStopped, "db"); !errors.Is(err, store.ErrFleetOwned) {
			t.Fatalf("stop: %v", err)
		}
		if _, err := db.FindSpecByUID(ctx, "local"); err != nil {
			t.Fatalf("the refused delete deleted local: %v", err)
		}
	})
	t.Run("BadValueRefusedWholeSpecKept", func(t *testing.T) {
		bad := fleetPut("web", 3, "-rm")
		res := mustFleet(t, db, store.FleetBatch{Revision: 4, Changes: []store.FleetChange{bad, fleetPut("db", 4, "postgres:18")}})
		if res.Refused != 1 || res.Updated != 1 {
			t.Fatalf("result %+v, want 1 refused, 1 updated", res)
		}
		s, err := db.FindSpecByUID(ctx, "web")
		if err != nil || s.Image != "nginx:1.27" {
			t.Fatalf("web = %+v, %v; want the last good value kept", s, err)
		}
		evs, _ := db.FindEvents(ctx, store.EventFilter{UID: "web", Kind: store.EventInvalid})
		if len(evs) != 1 || !strings.Contains(evs[0].Reason, "n1.web revision 3") || !strings.Contains(evs[0].Reason, "image") {
			t.Fatalf("events %+v, want one invalid event naming the key, revision and field", evs)
		}
		rows, _ := db.FindFleetSpecs(ctx)
		if len(rows) != 2 || rows[1].UID != "web" || rows[1].Refused == "" {
			t.Fatalf("fleet rows %+v", rows)
		}
	})
	t.Run("ResyncComparesInsteadOfRewriting", func(t *testing.T) {
		before, _ := db.FindEvents(ctx, store.EventFilter{})
		res := mustFleet(t, db, store.FleetBatch{Revision: 4, Full: true, Changes: []store.FleetChange{
			fleetPut("web", 3, "-rm"), fleetPut("db", 4, "postgres:18")}})
		after, _ := db.FindEvents(ctx, store.EventFilter{})
		if res.Unchanged != 2 || len(after) != len(before) {
			t.Fatalf("result %+v, events %d -> %d; want nothing written", res, len(before), len(after))
		}
	})
	t.Run("FullResyncDeletesMissingKeysOnly", func(t *testing.T) {
		res := mustFleet(t, db, store.FleetBatch{Revision: 6, Full: true, Changes: []store.FleetChange{fleetPut("db", 4, "postgres:18")}})
		if res.Deleted != 1 {
			t.Fatalf("result %+v, want web deleted", res)
		}
		if _, err := db.FindSpecByUID(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("web: %v", err)
		}
		if _, err := db.FindSpecByUID(ctx, "local"); err != nil {
			t.Fatalf("a local spec was deleted by a resync: %v", err)
		}
	})
	t.Run("DeletedKey", func(t *testing.T) {
		res := mustFleet(t, db, store.FleetBatch{Revision: 7, Changes: []store.FleetChange{
			{UID: "db", Key: "n1.db", Revision: 7, Delete: true}, {UID: "local", Key: "n1.local", Revision: 7, Delete: true}}})
		if res.Deleted != 1 {
			t.Fatalf("result %+v", res)
		}
		specs, _ := db.FindSpecs(ctx)
		if len(specs) != 1 || specs[0].UID != "local" {
			t.Fatalf("specs %v, want only the local one", specs)
		}
		if err := db.DeleteSpecs(ctx, "local"); err != nil {
			t.Fatalf("local delete after the fleet let go: %v", err)
		}
	})
	t.Run("TakesOverLocalSpec", func(t *testing.T) {
		storetest.MustApply(t, db, store.Spec{UID: "api", Container: spec.Container{Image: "api:1"}})
		res := mustFleet(t, db, store.FleetBatch{Revision: 8, Changes: []store.FleetChange{fleetPut("api", 8, "api:2")}})
		if res.Updated != 1 {
			t.Fatalf("result %+v", res)
		}
		if _, err := db.UpsertSpecs(ctx, []store.Spec{{UID: "api", Container: spec.Container{Image: "api:3"}}}); !errors.Is(err, store.ErrFleetOwned) {
			t.Fatalf("apply: %v", err)
		}
	})
}

// TestDB_FleetHold: a hold is kept with its brake_held event, read back,
// and cleared by the batch of a confirmed resync; a bad key is one invalid
// event and no row.
func TestDB_FleetHold(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if v, err := db.FleetHold(ctx); err != nil || v != "" {
		t.Fatalf("hold before any: %q %v", v, err)
	}
	if err := db.SetFleetHold(ctx, `{"kind":"missing"}`, "fleet mirror held: gone"); err != nil {
		t.Fatal(err)
	}
	if v, err := db.FleetHold(ctx); err != nil || v != `{"kind":"missing"}` {
		t.Fatalf("hold %q %v", v, err)
	}
	evs, _ := db.FindEvents(ctx, store.EventFilter{Kind: store.EventBrakeHeld})
	if len(evs) != 1 || evs[0].Reason != "fleet mirror held: gone" || evs[0].UID != "" {
		t.Fatalf("brake_held events %+v", evs)
	}
	res := mustFleet(t, db, store.FleetBatch{Revision: 3, ClearHold: true, BadKeys: []string{`"n1.>"@2`},
		Changes: []store.FleetChange{fleetPut("web", 1, "nginx:1.27")}})
	if res.Created != 1 || res.Refused != 1 {
		t.Fatalf("result %+v", res)
	}
	if v, err := db.FleetHold(ctx); err != nil || v != "" {
		t.Fatalf("hold after the resync: %q %v", v, err)
	}
	inv, _ := db.FindEvents(ctx, store.EventFilter{Kind: store.EventInvalid})
	if len(inv) != 1 || !strings.Contains(inv[0].Reason, `fleet key "n1.>"@2 refused: not a valid key`) {
		t.Fatalf("invalid events %+v", inv)
	}
	if owned, _ := db.FindFleetSpecs(ctx); len(owned) != 1 || owned[0].UID != "web" {
		t.Fatalf("fleet specs %+v", owned)
	}
	if err := db.SetFleetHold(ctx, `{"kind":"brake"}`, "held again"); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearFleetHold(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.FleetHold(ctx); v != "" {
		t.Fatalf("hold after ClearFleetHold: %q", v)
	}
}
