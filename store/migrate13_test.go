package store_test

import (
	"context"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestMigration13_RenamesAdoptedResumed: rows written as 'adopted' before
// migration 00013 for an own instance found at start-up read back as
// 'resumed'; an operator's adoption keeps 'adopted'; ids, reasons and the
// views over events survive; going down turns 'resumed' back into
// 'adopted', the word the older code's CHECK accepts.
func TestMigration13_RenamesAdoptedResumed(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if err := db.MigrateDownTo(ctx, 12); err != nil {
		t.Fatalf("down to 12: %v", err)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{
		{"a", "instance 3c1f still running from before this start"},
		{"b", "running instance 9e2d not in records"},
		{"c", "instance 77aa (velos-c, store label none) taken over by an operator"},
		{"d", "instance 88bb (velos-d) carries no store label: adopted (runtime.adopt_unlabeled)"},
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (at, uid, kind, reason) VALUES (1, ?, 'adopted', ?)`, r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (at, uid, kind) VALUES (2, 'a', 'resumed')`); err == nil {
		t.Fatal("version 12 accepted the kind 'resumed'")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	want := map[string]store.EventKind{"a": store.EventResumed, "b": store.EventResumed, "c": store.EventAdopted, "d": store.EventAdopted}
	check := func(want map[string]store.EventKind) {
		t.Helper()
		evs, err := db.FindEvents(ctx, store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != len(want) {
			t.Fatalf("%d events, want %d", len(evs), len(want))
		}
		for _, ev := range evs {
			if ev.Kind != want[ev.UID] || ev.Reason == "" {
				t.Errorf("%s: kind %s (reason %q), want %s", ev.UID, ev.Kind, ev.Reason, want[ev.UID])
			}
		}
	}
	check(want)
	// The status view over events is back: it names the last event's kind.
	tx, err = db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	if err := tx.GetContext(ctx, &last, `SELECT kind FROM event_log WHERE uid = 'a'`); err != nil || last != "resumed" {
		t.Fatalf("event_log kind for a = %q, %v; want resumed", last, err)
	}
	tx.Rollback()
	if err := db.MigrateDownTo(ctx, 12); err != nil {
		t.Fatalf("down to 12 again: %v", err)
	}
	check(map[string]store.EventKind{"a": store.EventAdopted, "b": store.EventAdopted, "c": store.EventAdopted, "d": store.EventAdopted})
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	check(want)
	// A replacing event, which version 12 has no word for, is dropped on
	// the way down; the rest stay.
	if err := db.RecordOutcome(ctx, store.Outcome{Events: []store.Event{{UID: "a", Kind: store.EventReplacing}}}); err != nil {
		t.Fatalf("a replacing event at version 13: %v", err)
	}
	if err := db.MigrateDownTo(ctx, 12); err != nil {
		t.Fatalf("down to 12 with a replacing event: %v", err)
	}
	check(map[string]store.EventKind{"a": store.EventAdopted, "b": store.EventAdopted, "c": store.EventAdopted, "d": store.EventAdopted})
}
