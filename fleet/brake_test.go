package fleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/fleet"
)

// TestNode_CatchUpBrake: deletions made while a node was away that reach
// more than brake_share of its fleet specs hold the mirror (nothing applied,
// not even the puts of the same catch-up); a deletion seen live is evidence
// and applied; a confirmation written before the hold does not count, one
// written after applies the bucket.
func TestNode_CatchUpBrake(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	all := uidList("s", 10)
	n := newTestNode(t, "edge-1", []string{url})
	mustApply(t, c, "edge-1", specs(all...)...)
	n.converge(t, waitLong, n.wantRunning(t, gens(all, 1)))
	// A confirmation from before: it must not release the hold to come.
	if _, err := c.Resync(ctx, "edge-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "edge-1", all[9]); err != nil { // live: applied
		t.Fatal(err)
	}
	n.converge(t, waitLong, n.wantRunning(t, gens(all[:9], 1)))

	n.stop()
	if err := c.Delete(ctx, "edge-1", all[3:9]...); err != nil { // 6 of 9: more than half
		t.Fatal(err)
	}
	mustApply(t, c, "edge-1", specs("new")...)
	n.start(t, []string{url})
	h := waitHold(t, n, fleet.HoldBrake)
	if !strings.Contains(h.Reason, "delete 6 of the node's 9") {
		t.Errorf("hold %+v", h)
	}
	advance := skewClock(n)
	keepsAll(t, n, all[:9], advance)

	if _, err := c.Resync(ctx, "edge-1"); err != nil {
		t.Fatal(err)
	}
	n.converge(t, waitLong, func() error {
		advance(30 * time.Second)
		return n.wantRunning(t, gens(append(append([]string{}, all[:3]...), "new"), 1))()
	})
	if h := n.node.Held(); h != nil {
		t.Errorf("held after the resync: %+v", h)
	}
}
