package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
