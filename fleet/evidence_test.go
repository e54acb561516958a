package fleet_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// purgeSubject removes every message of a key from the specs stream: no
// delete marker left, as when markers are purged, the bucket's age expires
// a key, or a server is restored from an older copy.
func purgeSubject(t *testing.T, url, key string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	st, err := js.Stream(ctx, "KV_"+fleet.DefaultSpecsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject("$KV."+fleet.DefaultSpecsBucket+"."+key)); err != nil {
		t.Fatal(err)
	}
}

// TestNode_AbsenceIsNotEvidence (issue 30: "deletions need evidence, never
// absence"): keys gone from the same bucket while a node was away, a few
// (below brake_share) so that no catch-up brake holds. A delete marker or a
// purge marker deletes the spec; a key with no marker at all is kept under
// an absent hold, on a resumed watch and on a full resync of the same
// bucket alike, while the other keys go on being mirrored. A value put
// again ends its part of the hold; `fleet resync --confirm` deletes the rest.
func TestNode_AbsenceIsNotEvidence(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	all := uidList("e", 10)
	n := newTestNode(t, "edge-4", []string{url})
	mustApply(t, c, "edge-4", specs(all...)...)
	n.converge(t, waitLong, n.wantRunning(t, gens(all, 1)))

	// Resumed watch: e-000 and e-001 vanish without a marker, e-002 is
	// deleted (a marker), e-003 purged (a purge marker).
	n.stop()
	purgeSubject(t, url, "edge-4.e-000")
	purgeSubject(t, url, "edge-4.e-001")
	if err := c.Delete(ctx, "edge-4", "e-002"); err != nil {
		t.Fatal(err)
	}
	purgeKey(t, url, "edge-4.e-003")
	mustApply(t, c, "edge-4", specs("new")...)
	n.start(t, []string{url})
	h := waitHold(t, n, fleet.HoldAbsent)
	if !slices.Equal(h.UIDs, []string{"e-000", "e-001"}) || !strings.Contains(h.Reason, "no delete marker (e-000, e-001)") {
		t.Fatalf("hold %+v", h)
	}
	keep := append([]string{"e-000", "e-001"}, all[4:]...)
	n.converge(t, waitLong, n.wantRunning(t, gens(append(slices.Clone(keep), "new"), 1)))
	if d := countEvents(t, n.db, store.EventSpecDeleted); len(d) != 2 || d["e-002"] != 1 || d["e-003"] != 1 {
		t.Fatalf("deleted %v, want e-002 and e-003 (their markers) alone", d)
	}
	if !strings.Contains(n.node.StateLine(), "HELD since") {
		t.Errorf("StateLine %q", n.node.StateLine())
	}

	// Full resync of the same bucket (the store ahead of the bucket: a
	// server restored from an older copy): e-004 vanishes too, kept.
	n.stop()
	purgeSubject(t, url, "edge-4.e-004")
	if err := n.db.SetMeta(ctx, store.MetaFleetRevision, "1000000"); err != nil {
		t.Fatal(err)
	}
	n.start(t, []string{url})
	waitFor(t, func() error {
		if h := n.node.Held(); h == nil || !slices.Equal(h.UIDs, []string{"e-000", "e-001", "e-004"}) {
			return fmt.Errorf("hold %+v", h)
		}
		return nil
	})
	n.converge(t, waitLong, n.wantRunning(t, gens(append(slices.Clone(keep), "new"), 1)))
	if d := countEvents(t, n.db, store.EventSpecDeleted); len(d) != 2 {
		t.Fatalf("the full resync deleted %v by absence", d)
	}

	// A value put again is evidence: its uid leaves the hold.
	mustApply(t, c, "edge-4", specs("e-000")...)
	waitFor(t, func() error {
		if h := n.node.Held(); h == nil || !slices.Equal(h.UIDs, []string{"e-001", "e-004"}) {
			return fmt.Errorf("hold %+v", h)
		}
		return nil
	})
	// The operator confirms: the absent ones go, the hold ends.
	if _, err := c.Resync(ctx, "edge-4"); err != nil {
		t.Fatal(err)
	}
	want := append([]string{"e-000"}, all[5:]...)
	n.converge(t, waitLong, n.wantRunning(t, gens(append(want, "new"), 1)))
	waitFor(t, func() error {
		if h := n.node.Held(); h != nil {
			return fmt.Errorf("still held: %+v", h)
		}
		return nil
	})
}

// purgeKey purges a key as the key-value API does: a purge marker stays.
func purgeKey(t *testing.T, url, key string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), fleet.DefaultSpecsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(context.Background(), key); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls check until it passes or waitLong is over.
func waitFor(t *testing.T, check func() error) {
	t.Helper()
	storetest.RetryUntil(t, 20*time.Millisecond, waitLong, check)
}
