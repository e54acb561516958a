package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// waitReportedHold waits until `fleet status` shows each node's hold.
func waitReportedHold(t testing.TB, c *fleet.Client, nodes ...string) {
	t.Helper()
	storetest.RetryUntil(t, 50*time.Millisecond, waitLong, func() error {
		ns, err := c.Status(context.Background(), "")
		if err != nil {
			return err
		}
		held := map[string]bool{}
		for _, n := range ns {
			held[n.Node] = n.Hold != nil && n.Hold.Reason != ""
		}
		for _, n := range nodes {
			if !held[n] {
				return fmt.Errorf("status shows no hold for %s: %+v", n, ns)
			}
		}
		return nil
	})
}

// uidList returns n uids "<prefix>-000"….
func uidList(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

func gens(uids []string, gen int64) map[string]int64 {
	out := map[string]int64{}
	for _, u := range uids {
		out[u] = gen
	}
	return out
}

// deleteSpecsBucket deletes the specs bucket as an operator's mistake would.
func deleteSpecsBucket(t testing.TB, url string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := js.DeleteKeyValue(context.Background(), fleet.DefaultSpecsBucket); err != nil {
		t.Fatal(err)
	}
}

// skewClock moves tn's supervisor clock ahead by what the returned func adds.
func skewClock(tn *testNode) func(time.Duration) {
	var skew atomic.Int64
	tn.sup.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	return func(d time.Duration) { skew.Add(int64(d)) }
}

// keepsAll checks, over passes with the clock moved past the brake's hold,
// that tn still has its fleet specs and runs each at gen 1.
func keepsAll(t *testing.T, tn *testNode, want []string, advance func(time.Duration)) {
	t.Helper()
	for range 3 {
		advance(2 * time.Minute) // 6 minutes in all: past any brake_hold
		tn.converge(t, waitLong, tn.wantRunning(t, gens(want, 1)))
	}
	owned, err := tn.db.FindFleetSpecs(context.Background())
	if err != nil || len(owned) != len(want) {
		t.Fatalf("node %s: %d fleet specs, want %d (%v)", tn.name, len(owned), len(want), err)
	}
	d := countEvents(t, tn.db, store.EventSpecDeleted)
	for _, uid := range want {
		if d[uid] != 0 {
			t.Fatalf("node %s deleted %v", tn.name, d)
		}
	}
}

// TestNode_EmptyBucketHoldsTheFleet (issue 30, point 1 and the "evidence,
// never absence" rule): the specs bucket deleted under two running nodes,
// then the server restarted on an empty store, then a new bucket made by
// `fleet apply`: no spec deleted, no instance removed, both nodes say why
// (store, StateLine, their report in the status bucket, a brake_held
// event); `fleet resync --confirm` then applies what the bucket holds.
func TestNode_EmptyBucketHoldsTheFleet(t *testing.T) {
	opts := serverOpts("s1", t.TempDir(), freePort(t))
	s := startServer(t, opts.Clone())
	url := s.ClientURL()
	c := dialClient(t, url)
	const perNode = 10 // TestSoak_EmptyBucketHoldsTheFleet runs 100
	runEmptyBucket(t, opts, s, c, perNode)
}

func runEmptyBucket(t *testing.T, opts *server.Options, s *server.Server, c *fleet.Client, perNode int) {
	ctx := context.Background()
	url := s.ClientURL()
	aUIDs, bUIDs := uidList("a", perNode), uidList("b", perNode)
	a := newTestNode(t, "node-a", []string{url})
	b := newTestNode(t, "node-b", []string{url})
	advA, advB := skewClock(a), skewClock(b)
	mustApply(t, c, "node-a", specs(aUIDs...)...)
	mustApply(t, c, "node-b", specs(bUIDs...)...)
	a.converge(t, waitLong, a.wantRunning(t, gens(aUIDs, 1)))
	b.converge(t, waitLong, b.wantRunning(t, gens(bUIDs, 1)))

	// The bucket is deleted while both watch it: noticed within seconds.
	deleteSpecsBucket(t, url)
	for _, tn := range []*testNode{a, b} {
		h := waitHold(t, tn, fleet.HoldMissing)
		if !strings.Contains(tn.node.StateLine(), "HELD since") || !strings.Contains(h.Reason, "missing") {
			t.Errorf("node %s says %q", tn.name, tn.node.StateLine())
		}
	}
	keepsAll(t, a, aUIDs, advA)
	keepsAll(t, b, bUIDs, advB)

	// The server comes back on an empty store; then an operator applies
	// a few specs for node-a, which makes a new bucket.
	s.Shutdown()
	s.WaitForShutdown()
	empty := opts.Clone()
	empty.StoreDir = t.TempDir()
	startServer(t, empty)
	waitState(t, a, true)
	waitState(t, b, true)
	c2 := dialClient(t, url)
	kept := aUIDs[:5]
	changed := specs(kept...)
	for i := range changed {
		changed[i].Env = map[string]string{"V": "2"}
	}
	mustApply(t, c2, "node-a", changed...)
	mustApply(t, c2, "node-b", specs(bUIDs...)...) // node-b's keys as they were
	for _, tn := range []*testNode{a, b} {
		waitHold(t, tn, fleet.HoldIdentity)
	}
	keepsAll(t, a, aUIDs, advA)
	keepsAll(t, b, bUIDs, advB)
	waitReportedHold(t, c2, "node-a", "node-b")
	for _, tn := range []*testNode{a, b} {
		if n := len(countEvents(t, tn.db, store.EventBrakeHeld)); n != 1 { // uid "" only
			t.Errorf("node %s: brake_held events by uid %v", tn.name, countEvents(t, tn.db, store.EventBrakeHeld))
		}
		evs, _ := tn.db.FindEvents(ctx, store.EventFilter{Kind: store.EventBrakeHeld})
		if len(evs) != 2 || !strings.Contains(evs[0].Reason, "missing") || !strings.Contains(evs[1].Reason, "not the one mirrored") {
			t.Errorf("node %s: brake_held events %+v, want the missing bucket then the new one", tn.name, evs)
		}
	}

	// The operator confirms node-a: it runs what the bucket holds. node-b,
	// unconfirmed, keeps holding; confirmed, it changes nothing.
	if _, err := c2.Resync(ctx, "node-a"); err != nil {
		t.Fatal(err)
	}
	// The removals it confirmed still pass the supervisor's brake, which
	// lets them through once its hold is over.
	a.converge(t, waitLong, func() error { advA(30 * time.Second); return a.wantRunning(t, gens(kept, 2))() })
	if h := a.node.Held(); h != nil {
		t.Errorf("node-a still held: %+v", h)
	}
	if b.node.Held() == nil {
		t.Error("node-b released without a confirmation")
	}
	if _, err := c2.Resync(ctx, "node-b"); err != nil {
		t.Fatal(err)
	}
	b.converge(t, waitLong, func() error {
		if h := b.node.Held(); h != nil {
			return fmt.Errorf("node-b held: %+v", h)
		}
		return b.wantRunning(t, gens(bUIDs, 1))()
	})
	if d := countEvents(t, b.db, store.EventSpecUpdated); len(d) != 0 {
		t.Errorf("node-b updated %v: same values, nothing to write", d)
	}
	if d := countEvents(t, a.db, store.EventSpecDeleted); len(d) != perNode-len(kept) {
		t.Errorf("node-a deleted %d specs, want %d", len(d), perNode-len(kept))
	}
	// Mirroring goes on: a new key reaches node-b.
	mustApply(t, c2, "node-b", specs("late")...)
	b.converge(t, waitLong, b.wantRunning(t, gens(append(append([]string{}, bUIDs...), "late"), 1)))
}

// TestSoak_EmptyBucketHoldsTheFleet is the size: two nodes with 100
// fleet specs each.
func TestSoak_EmptyBucketHoldsTheFleet(t *testing.T) {
	opts := serverOpts("s1", t.TempDir(), freePort(t))
	s := startServer(t, opts.Clone())
	runEmptyBucket(t, opts, s, dialClient(t, s.ClientURL()), 100)
}
