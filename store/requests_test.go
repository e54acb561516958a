package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestPassRequests_OwnRowsStrongestFlag makes a --force request and a plain
// one before the daemon looks: each is its own row, the daemon reads them
// as one request that keeps the force, and each CLI finds the pass that
// served its own id, exactly; a later request is not answered by an
// earlier pass.
func TestPassRequests_OwnRowsStrongestFlag(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	forced, err := db.RequestPass(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := db.RequestPass(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if forced.ID == plain.ID {
		t.Fatalf("two requests share id %d", forced.ID)
	}
	got, err := db.FindPassRequestAfter(ctx, 0)
	if err != nil || got.ID != plain.ID || !got.Force {
		t.Fatalf("coalesced request: %+v, %v; want id %d with force", got, err, plain.ID)
	}
	if got, err := db.FindPassRequestAfter(ctx, forced.ID); err != nil || got.ID != plain.ID || got.Force {
		t.Fatalf("requests after the forced one: %+v, %v; want id %d without force", got, err, plain.ID)
	}
	if _, err := db.FindPassRequestAfter(ctx, plain.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("requests after the newest: %v, want ErrNotFound", err)
	}
	if _, err := db.FindPassByRequest(ctx, forced.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pass for a request no pass took: %v, want ErrNotFound", err)
	}
	passID, err := db.CreatePass(ctx, store.TriggerManual, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []*store.PassRequest{forced, plain} {
		if p, err := db.FindPassByRequest(ctx, req.ID); err != nil || p.ID != passID {
			t.Fatalf("pass for request %d: %+v, %v; want pass %d", req.ID, p, err, passID)
		}
	}
	later, err := db.RequestPass(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := db.FindPassByRequest(ctx, later.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a later request matched pass %+v (%v): each request waits for its own", p, err)
	}
	if got, err := db.FindPassRequest(ctx); err != nil || got.ID != later.ID {
		t.Fatalf("newest request: %+v, %v; want %d", got, err, later.ID)
	}
}
