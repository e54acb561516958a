package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestDB_PutHealth: probe states are written, updated, bounded and dropped;
// a bad state is refused by the table's CHECK; an unhealthy event is a kind
// the events table takes.
func TestDB_PutHealth(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	rows := []store.Health{
		{UID: "db", RuntimeID: "c1", State: "healthy", Retries: 3, Probe: "cmd", LastOK: true, LastOutput: "accepting connections"},
		{UID: "web", RuntimeID: "c2", State: "unhealthy", Failures: 3, Retries: 3, Probe: "http", LastOutput: strings.Repeat("x", 5000)},
	}
	if err := db.PutHealth(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	rows[0].State = "unhealthy"
	if err := db.PutHealth(ctx, rows[:1], []string{"web"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].UID != "db" || got[0].State != "unhealthy" || !got[0].LastOK {
		t.Fatalf("health rows %+v", got)
	}
	if err := db.PutHealth(ctx, []store.Health{{UID: "x", State: "sick"}}, nil); err == nil {
		t.Fatal("state sick accepted")
	}
	if err := db.PutHealth(ctx, []store.Health{{UID: "web", State: "starting", LastOutput: strings.Repeat("y", 5000)}}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = db.FindHealth(ctx)
	if n := len(got[1].LastOutput); n != store.MaxHealthOutput {
		t.Fatalf("output of %d bytes kept, want %d", n, store.MaxHealthOutput)
	}
	if err := db.PutHealth(ctx, []store.Health{{State: "healthy"}}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no uid: %v", err)
	}
}

// TestDB_ApplySpec_HealthNotHashed: a spec's probe is stored and read
// back; adding, changing or removing it updates the spec without a new
// generation or hash, so its instance is not replaced.
func TestDB_ApplySpec_HealthNotHashed(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	s := store.Spec{UID: "db", Container: spec.Container{Image: "postgres:17"}}
	storetest.MustApply(t, db, s)
	before, err := db.FindSpecByUID(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	s.Health = &spec.HealthCheck{Cmd: []string{"pg_isready", "-U", "app"}, Interval: spec.Duration(time.Second), Retries: 2}
	res, err := db.UpsertSpecs(ctx, []store.Spec{s})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != store.Updated {
		t.Fatalf("adding a probe: %s, want updated", res[0].Outcome)
	}
	after, err := db.FindSpecByUID(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if after.Generation != before.Generation || after.SpecHash != before.SpecHash {
		t.Fatalf("generation %d hash %s after adding a probe, want %d %s", after.Generation, after.SpecHash, before.Generation, before.SpecHash)
	}
	if !reflect.DeepEqual(after.Health, s.Health) {
		t.Fatalf("health read back %+v, want %+v", after.Health, s.Health)
	}
	if res, _ := db.UpsertSpecs(ctx, []store.Spec{s}); res[0].Outcome != store.Unchanged {
		t.Fatalf("the same probe again: %s, want unchanged", res[0].Outcome)
	}
	s.Health = nil
	if res, _ := db.UpsertSpecs(ctx, []store.Spec{s}); res[0].Outcome != store.Updated {
		t.Fatalf("removing the probe: %s, want updated", res[0].Outcome)
	}
	if got, _ := db.FindSpecByUID(ctx, "db"); got.Health != nil || got.Generation != before.Generation {
		t.Fatalf("after removing: health %+v generation %d", got.Health, got.Generation)
	}
}
