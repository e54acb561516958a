package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

func TestDB_PruneEvents(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	clock := storetest.NewClock()
	db.Now = clock.Now
	for i := range 30 {
		if err := db.RecordOutcome(ctx, store.Outcome{Events: []store.Event{{UID: "a", Kind: store.EventExited}}}); err != nil {
			t.Fatal(err)
		}
		if i == 9 {
			clock.Add(48 * time.Hour)
		}
	}
	n, err := db.PruneEvents(ctx, store.Retention{MaxAge: 24 * time.Hour, Batch: 3})
	if err != nil || n != 10 {
		t.Fatalf("pruned %d by age (err %v), want 10", n, err)
	}
	n, err = db.PruneEvents(ctx, store.Retention{MaxRows: 5, Batch: 4})
	if err != nil || n != 15 {
		t.Fatalf("pruned %d by count (err %v), want 15", n, err)
	}
	evs, _ := db.FindEvents(ctx, store.EventFilter{})
	if len(evs) != 5 || evs[4].ID != 30 {
		t.Fatalf("%d events left, newest id %d; want the newest 5", len(evs), evs[len(evs)-1].ID)
	}
}

func TestDB_StatusView(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "img"}}, store.Spec{UID: "b", Container: spec.Container{Image: "img"}})
	if err := db.SetMeta(ctx, "crash_loop_after", "3"); err != nil {
		t.Fatal(err)
	}
	err := db.RecordOutcome(ctx, store.Outcome{
		Instance: &store.Instance{UID: "a", RuntimeID: "r1", State: store.InstanceExited, ConsecutiveFailures: 3, RestartCount: 7},
		Events:   []store.Event{{UID: "a", Kind: store.EventBackoff, Reason: "relaunch in 20s"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.FindStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	a, b := rows[0], rows[1]
	if !a.CrashLoop || a.RestartCount != 7 || a.LastEvent == nil || *a.LastEvent != "backoff" {
		t.Fatalf("a=%+v, want crash_loop, 7 restarts, last event backoff", a)
	}
	if b.State != "pending" || b.CrashLoop || *b.LastEvent != "spec_created" {
		t.Fatalf("b=%+v, want pending", b)
	}
}
