package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestMigration10_KeepsSpecsAndHashes: a spec applied before migration
// 00010 reads back after it unchanged, with the launch fields at their
// defaults, and applying it again is unchanged (same hash, so no
// replacement); going down to 00009 keeps it, and a spec using the new
// fields loses only them.
func TestMigration10_KeepsSpecsAndHashes(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	old := store.Spec{UID: "web", Container: spec.Container{Image: "nginx:1.27", Command: []string{"nginx"},
		Env: map[string]string{"A": "1"}, CPUs: 0.5, Memory: 1 << 20, Labels: map[string]string{"team": "ops"}}}
	storetest.MustApply(t, db, old)
	before, err := db.FindSpecByUID(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MigrateDownTo(ctx, 9); err != nil {
		t.Fatalf("down to 9: %v", err)
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	after, err := db.FindSpecByUID(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("after down and up:\n%+v\nwant\n%+v", after, before)
	}
	if r := storetest.MustApply(t, db, old); r[0].Outcome != store.Unchanged {
		t.Fatalf("re-apply after the migration: %+v", r)
	}
	// Down again with a spec that uses a launch field: the row stays, the
	// field is dropped with its column.
	withPort := old
	withPort.UID = "api"
	withPort.Ports = []spec.Port{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}}
	storetest.MustApply(t, db, withPort)
	if err := db.MigrateDownTo(ctx, 9); err != nil {
		t.Fatalf("down to 9 with a launch field set: %v", err)
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	api, err := db.FindSpecByUID(ctx, "api")
	if err != nil || len(api.Ports) != 0 || !reflect.DeepEqual(api.Command, old.Command) {
		t.Fatalf("api after down and up: %+v, %v", api, err)
	}
	st, err := db.ReadState(ctx)
	if err != nil || len(st.Specs) != 2 || len(st.Invalid) != 0 {
		t.Fatalf("ReadState: %+v, %v", st, err)
	}
}
