package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// wantReads fails unless db's ReadState calls so far were cached and full
// as given.
func wantReads(t *testing.T, db *store.DB, cached, full int64) {
	t.Helper()
	if c, f := db.StateReads(); c != cached || f != full {
		t.Fatalf("state reads: %d cached, %d full; want %d cached, %d full", c, f, cached, full)
	}
}

func readSpecUIDs(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	st, err := db.ReadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range st.Specs {
		out[s.UID] = s.Image
	}
	return out
}

// TestReadState_Cache: a read after nothing was written reads no table; a
// write of this process that touches the state, and one of another
// connection, each make the next read a full one that sees it; pass rows
// and events alone do not.
func TestReadState_Cache(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "busybox"}})
	readSpecUIDs(t, db)
	readSpecUIDs(t, db)
	wantReads(t, db, 1, 1)

	id, err := db.CreatePass(ctx, store.TriggerSchedule, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.FinishPass(ctx, &store.Pass{ID: id}); err != nil {
		t.Fatal(err)
	}
	readSpecUIDs(t, db)
	wantReads(t, db, 2, 1)

	storetest.MustApply(t, db, store.Spec{UID: "b", Container: spec.Container{Image: "busybox"}})
	if got := readSpecUIDs(t, db); len(got) != 2 {
		t.Fatalf("after apply: specs %v, want a and b", got)
	}
	wantReads(t, db, 2, 2)

	// An operator's sqlite3 session: another connection, another process's
	// kind of write.
	other, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	if _, err := other.ExecContext(ctx, `UPDATE specs SET image = 'alpine' WHERE uid = 'a'`); err != nil {
		t.Fatal(err)
	}
	if got := readSpecUIDs(t, db); got["a"] != "alpine" {
		t.Fatalf("after another connection's update: specs %v, want a on alpine", got)
	}
	wantReads(t, db, 2, 3)
	readSpecUIDs(t, db)
	wantReads(t, db, 3, 3)
}

// TestReadState_CallerOwnsSlices: what one caller does to the slices it
// got does not reach the next caller's copy of a cached read.
func TestReadState_CallerOwnsSlices(t *testing.T) {
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "a", Container: spec.Container{Image: "busybox"}}, store.Spec{UID: "b", Container: spec.Container{Image: "busybox"}})
	st, err := db.ReadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := st.Specs[0].UID
	st.Specs[0], st.Specs[1] = st.Specs[1], st.Specs[0]
	st.Specs = st.Specs[:1]
	again, err := db.ReadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Specs) != 2 || again.Specs[0].UID != first {
		t.Fatalf("a cached read shows the last caller's changes: %v", again.Specs)
	}
	wantReads(t, db, 1, 1)
}
