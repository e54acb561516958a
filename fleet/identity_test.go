package fleet_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestNode_RevisionPerBucketIdentity (issue 30, point 2): the mirrored
// revision belongs to one bucket identity. After a confirmed resync to a
// new bucket whose revisions are far below the old one's, the node resumes
// from the new bucket's revision, so that keys written while it was down
// are all mirrored; and a bucket made anew while the node runs is noticed
// within its check interval, not left unwatched.
func TestNode_RevisionPerBucketIdentity(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	n := newTestNode(t, "edge-1", []string{url})
	web := specs("web")
	for i := range 40 { // the old bucket reaches revision 40
		web[0].Env = map[string]string{"V": strconv.Itoa(i)}
		mustApply(t, c, "edge-1", web...)
	}
	n.converge(t, waitLong, func() error {
		if _, rev, err := n.db.FleetPosition(ctx); err != nil || rev != 40 || n.running(t)["web"] == 0 {
			return fmt.Errorf("position %d %v, running %v", rev, err, n.running(t))
		}
		return nil
	})

	// Live: the bucket is made anew and written while the node watches.
	deleteSpecsBucket(t, url)
	c2 := dialClient(t, url)
	mustApply(t, c2, "edge-1", specs("a1", "a2", "a3")...)
	waitHold(t, n, fleet.HoldIdentity)
	if _, err := c2.Resync(ctx, "edge-1"); err != nil {
		t.Fatal(err)
	}
	advance := skewClock(n)
	n.converge(t, waitLong, func() error {
		advance(30 * time.Second) // web's removal passes the supervisor's brake
		return n.wantRunning(t, map[string]int64{"a1": 1, "a2": 1, "a3": 1})()
	})
	if _, rev, err := n.db.FleetPosition(ctx); err != nil || rev > 4 {
		t.Fatalf("position %d %v: want the new bucket's revision (at most 4), not the old one's", rev, err)
	}

	// Down while ten keys are written at revisions 5-14: all mirrored.
	n.stop()
	more := uidList("b", 10)
	mustApply(t, c2, "edge-1", specs(more...)...)
	n.start(t, []string{url})
	want := gens(more, 1)
	for _, u := range []string{"a1", "a2", "a3"} {
		want[u] = 1
	}
	n.converge(t, waitLong, n.wantRunning(t, want))
	if h := n.node.Held(); h != nil {
		t.Errorf("held: %+v", h)
	}
}

// TestNode_CreateBucketsStillHolds: with create_buckets a node makes the
// missing specs bucket itself; a node that mirrored before still holds on
// the bucket it made, which is not the one it mirrored: nothing deleted.
func TestNode_CreateBucketsStillHolds(t *testing.T) {
	_, url := oneServer(t)
	n := newTestNode(t, "edge-1", []string{url}, createBuckets{})
	raw, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	js, _ := jetstream.New(raw)
	storetest.RetryUntil(t, 20*time.Millisecond, waitLong, func() error { // the node made it, no verb
		_, err := js.KeyValue(context.Background(), fleet.DefaultSpecsBucket)
		return err
	})
	c := dialClient(t, url)
	mustApply(t, c, "edge-1", specs("web", "api")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1}))
	deleteSpecsBucket(t, url)
	waitHold(t, n, fleet.HoldIdentity) // it made a new one at once
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1}))
}
