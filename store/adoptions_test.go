package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestDB_Adoptions: adoptions are written with their outcome, read with the
// state, refused without an id, and go with their uid's record.
func TestDB_Adoptions(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	err := db.RecordOutcome(ctx, store.Outcome{
		Adopt:  []store.Adoption{{RuntimeID: "c1", UID: "web"}, {RuntimeID: "c2", UID: "api", FromStore: "old"}},
		Events: []store.Event{{UID: "web", Kind: store.EventAdopted, Reason: "by hand"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Adopted) != 2 || !st.Adopted["c1"] || !st.Adopted["c2"] {
		t.Fatalf("Adopted=%v, want c1 and c2", st.Adopted)
	}
	if err := db.RecordOutcome(ctx, store.Outcome{Adopt: []store.Adoption{{UID: "web"}}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("adoption without a runtime id: err=%v, want ErrInvalid", err)
	}
	if err := db.RecordOutcome(ctx, store.Outcome{Delete: "web"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindAdoptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RuntimeID != "c2" || got[0].FromStore != "old" || got[0].AdoptedAt.Time().IsZero() {
		t.Fatalf("after web's record went: %+v, want only c2 from store old", got)
	}
}
