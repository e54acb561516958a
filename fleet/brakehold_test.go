package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestNode_BrakeHoldsFleetRemovalsForGood (issue 30: "the brake's hold does
// not expire for fleet-caused removals"): keys deleted live, one marker at a
// time, are evidence and their specs go; the supervisor's brake then holds
// the removal of 7 of 10 instances, and past any brake_hold (the clock moved
// on by hours) still holds it, saying why in StateLine (/healthz) and in a
// brake_held event (written when the hold begins or changes, not at every
// pass). `fleet resync --confirm` lets them go.
func TestNode_BrakeHoldsFleetRemovalsForGood(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	all := uidList("r", 10)
	n := newTestNode(t, "edge-2", []string{url})
	advance := skewClock(n)
	mustApply(t, c, "edge-2", specs(all...)...)
	n.converge(t, waitLong, n.wantRunning(t, gens(all, 1)))

	if err := c.Delete(ctx, "edge-2", all[3:]...); err != nil {
		t.Fatal(err)
	}
	waitSpecs(t, n, 3)
	for range 6 {
		if err := n.sup.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		advance(time.Hour) // far past brake_hold (a minute)
	}
	if got := n.running(t); len(got) != 10 {
		t.Fatalf("the brake let fleet removals go by time: %d running", len(got))
	}
	line := n.node.StateLine()
	if !strings.Contains(line, "brake: HELD since") || !strings.Contains(line, "whose specs the fleet deleted") ||
		!strings.Contains(line, "veloslet fleet resync --node edge-2 --confirm") || !strings.Contains(line, "reconcile --force") {
		t.Fatalf("StateLine %q does not say why the brake holds", line)
	}
	evs, err := n.db.FindEvents(ctx, store.EventFilter{Kind: store.EventBrakeHeld})
	// Two: when the hold began, and when it outlived brake_hold; none at
	// each pass after, as the hold stands unchanged.
	if err != nil || len(evs) != 2 || !strings.Contains(evs[1].Reason, "7 of 10 instances seen whose specs the fleet deleted") {
		t.Fatalf("brake_held events %+v (%v)", evs, err)
	}

	// The operator confirms: the node's resync clears the fleet's removals
	// and the brake's hold, long over, lets them go.
	if _, err := c.Resync(ctx, "edge-2"); err != nil {
		t.Fatal(err)
	}
	n.converge(t, waitLong, n.wantRunning(t, gens(all[:3], 1)))
	storeHoldCleared(t, n)
}

// TestNode_BrakeFleetHoldForced: `reconcile --force` (a forced pass) also
// lets the held fleet removals go, and the recorded hold is cleared.
func TestNode_BrakeFleetHoldForced(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	all := uidList("f", 6)
	n := newTestNode(t, "edge-3", []string{url})
	advance := skewClock(n)
	mustApply(t, c, "edge-3", specs(all...)...)
	n.converge(t, waitLong, n.wantRunning(t, gens(all, 1)))
	if err := c.Delete(ctx, "edge-3", all[1:]...); err != nil {
		t.Fatal(err)
	}
	waitSpecs(t, n, 1)
	for range 3 {
		if err := n.sup.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		advance(time.Hour)
	}
	if got := n.running(t); len(got) != 6 {
		t.Fatalf("%d running while the brake holds", len(got))
	}
	if !strings.Contains(fleet.BrakeLine(ctx, n.db), "brake: HELD") {
		t.Fatalf("no brake line: %q", fleet.BrakeLine(ctx, n.db))
	}
	res, err := n.sup.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual, Force: true})
	if err != nil || res.Plan.BrakeHeld {
		t.Fatalf("forced pass: %v, held %v", err, res != nil && res.Plan.BrakeHeld)
	}
	n.converge(t, waitLong, n.wantRunning(t, gens(all[:1], 1)))
	storeHoldCleared(t, n)
}

// waitSpecs waits until tn's store holds want fleet specs.
func waitSpecs(t *testing.T, tn *testNode, want int) {
	t.Helper()
	storetest.RetryUntil(t, 20*time.Millisecond, waitLong, func() error {
		owned, err := tn.db.FindFleetSpecs(context.Background())
		if err == nil && len(owned) != want {
			err = fmt.Errorf("node %s: %d fleet specs, want %d", tn.name, len(owned), want)
		}
		return err
	})
}

// storeHoldCleared checks that the brake's hold of fleet removals is no
// longer recorded once passes ran with nothing held.
func storeHoldCleared(t *testing.T, tn *testNode) {
	t.Helper()
	tn.converge(t, waitLong, func() error {
		if b := fleet.BrakeLine(context.Background(), tn.db); b != "" {
			return fmt.Errorf("still recorded: %q", b)
		}
		return nil
	})
}
