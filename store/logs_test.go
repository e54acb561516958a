package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

func mustEvent(t *testing.T, db *store.DB, uid string, kind store.EventKind) int64 {
	t.Helper()
	out := store.Outcome{Events: []store.Event{{UID: uid, Kind: kind}}}
	if err := db.RecordOutcome(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	return out.Events[0].ID
}

// TestDB_SaveCrashLog: a log goes with the instance's exited event, a new
// exited event is written when none was, only the newest logs per uid stay,
// and pruning events takes their logs along.
func TestDB_SaveCrashLog(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	mustEvent(t, db, "a", store.EventLaunched)
	exited := mustEvent(t, db, "a", store.EventExited)
	mustEvent(t, db, "a", store.EventBackoff)
	code := 3
	l := &store.CrashLog{UID: "a", RuntimeID: "r1", ExitCode: &code, Lines: 2, Text: "one\ntwo\n"}
	if err := db.SaveCrashLog(ctx, l, 0, 2); err != nil {
		t.Fatal(err)
	}
	if l.EventID != exited {
		t.Fatalf("log kept with event %d, want the exited event %d", l.EventID, exited)
	}
	// Relaunched, then removed without a recorded exit: an exited event is written.
	mustEvent(t, db, "a", store.EventRelaunched)
	l2 := &store.CrashLog{UID: "a", RuntimeID: "r2", ExitCode: &code, Text: "second\n", Lines: 1}
	if err := db.SaveCrashLog(ctx, l2, 0, 2); err != nil {
		t.Fatal(err)
	}
	evs, err := db.FindEvents(ctx, store.EventFilter{UID: "a", Kind: store.EventExited})
	if err != nil || len(evs) != 2 || evs[1].ID != l2.EventID || *evs[1].ExitCode != 3 {
		t.Fatalf("exited events %+v (err %v): want a second one, id %d, exit 3", evs, err, l2.EventID)
	}
	for i := range 3 {
		mustEvent(t, db, "a", store.EventRelaunched)
		if err := db.SaveCrashLog(ctx, &store.CrashLog{UID: "a", Text: fmt.Sprintf("run %d\n", i)}, 0, 2); err != nil {
			t.Fatal(err)
		}
	}
	logs, err := db.FindCrashLogs(ctx, "a", 0)
	if err != nil || len(logs) != 2 || logs[0].Text != "run 2\n" || logs[1].Text != "run 1\n" {
		t.Fatalf("logs %+v (err %v): want the newest two, newest first", logs, err)
	}
	last := logs[0].EventID
	n, err := db.PruneEvents(ctx, store.Retention{MaxRows: 1})
	if err != nil || n == 0 {
		t.Fatalf("pruned %d (err %v)", n, err)
	}
	logs, _ = db.FindCrashLogs(ctx, "a", 0)
	if len(logs) != 1 || logs[0].EventID != last {
		t.Fatalf("after pruning to the newest event, logs %+v; want only that of event %d", logs, last)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM events`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PruneEvents(ctx, store.Retention{}); err != nil {
		t.Fatal(err)
	}
	if logs, _ = db.FindCrashLogs(ctx, "a", 0); len(logs) != 0 {
		t.Fatalf("logs of events deleted by hand stayed: %+v", logs)
	}
}
