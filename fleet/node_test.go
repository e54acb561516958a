package fleet_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
)

const waitLong = 30 * time.Second

func mustApply(t testing.TB, c *fleet.Client, node string, s ...store.Spec) {
	t.Helper()
	if _, err := c.Apply(context.Background(), node, s); err != nil {
		t.Fatal(err)
	}
}

// streamEvents reads every event of node in the stream.
func streamEvents(t testing.TB, c *fleet.Client, node string) []fleet.Event {
	t.Helper()
	var out []fleet.Event
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := c.Events(ctx, node, false, func(e fleet.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameEvents checks that the stream holds each of the store's events exactly once.
func sameEvents(t testing.TB, c *fleet.Client, tn *testNode) func() error {
	return func() error {
		local, err := tn.db.FindEvents(context.Background(), store.EventFilter{})
		if err != nil {
			return err
		}
		got := streamEvents(t, c, tn.name)
		// Their order in the stream is not promised: a batch cut by a leader's
		// death is published again whole, after the part that got in.
		slices.SortStableFunc(got, func(a, b fleet.Event) int { return cmp.Compare(a.ID, b.ID) })
		if len(got) != len(local) {
			return fmt.Errorf("stream holds %d events of %s, the store %d", len(got), tn.name, len(local))
		}
		for i, e := range got {
			if e.ID != local[i].ID || e.Kind != string(local[i].Kind) || e.UID != local[i].UID {
				return fmt.Errorf("event %d: stream %+v, store %+v", i, e, local[i])
			}
		}
		return nil
	}
}

func statusOf(t testing.TB, c *fleet.Client, node string) map[string]fleet.Status {
	t.Helper()
	ns, err := c.Status(context.Background(), node)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fleet.Status{}
	for _, n := range ns {
		if n.Node != node {
			t.Fatalf("status of %s holds node %s", node, n.Node)
		}
		for _, r := range n.Rows {
			out[r.UID] = r
		}
	}
	return out
}

// TestNode_OneServer: two nodes share the buckets of one server; each
// mirrors only its own keys, follows updates and deletes, refuses a bad
// value whole, reports status and events, and resumes after a restart.
func TestNode_OneServer(t *testing.T) {
	_, url := oneServer(t)
	c := dialClient(t, url)
	a := newTestNode(t, "node-a", []string{url})
	b := newTestNode(t, "node-b", []string{url})
	mustApply(t, c, "node-a", specs("web", "api", "db")...)
	mustApply(t, c, "node-b", specs("web", "cache")...)
	a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 1, "api": 1, "db": 1}))
	b.converge(t, waitLong, b.wantRunning(t, map[string]int64{"web": 1, "cache": 1}))

	ctx := context.Background()
	for _, n := range []*testNode{a, b} {
		rows, err := n.db.FindFleetSpecs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !strings.HasPrefix(r.Key, n.name+".") {
				t.Errorf("node %s mirrored key %s", n.name, r.Key)
			}
		}
	}
	t.Run("LocalChangeRefused", func(t *testing.T) {
		_, err := a.db.UpsertSpecs(ctx, specs("web"))
		if !errors.Is(err, store.ErrFleetOwned) || !strings.Contains(err.Error(), "node-a.web") {
			t.Fatalf("local apply: %v", err)
		}
	})
	t.Run("UpdateAndDelete", func(t *testing.T) {
		up := specs("web")
		up[0].Env = map[string]string{"V": "2"}
		mustApply(t, c, "node-a", up...)
		if err := c.Delete(ctx, "node-a", "db"); err != nil {
			t.Fatal(err)
		}
		a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 2, "api": 1}))
		b.converge(t, waitLong, b.wantRunning(t, map[string]int64{"web": 1, "cache": 1}))
		if err := c.Delete(ctx, "node-a", "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete of a missing key: %v", err)
		}
	})
	t.Run("BadValueRefused", func(t *testing.T) {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		kv, err := js.KeyValue(ctx, fleet.DefaultSpecsBucket)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.PutString(ctx, "node-a.api", `{"uid":"api","image":"busybox:1.37","memroy":1}`); err != nil {
			t.Fatal(err)
		}
		a.converge(t, waitLong, func() error {
			st := statusOf(t, c, "node-a")["api"]
			if !strings.Contains(st.Refused, "memroy") {
				return fmt.Errorf("status of api: %+v, want the refusal", st)
			}
			return nil
		})
		s, err := a.db.FindSpecByUID(ctx, "api")
		if err != nil || s.Generation != 1 {
			t.Fatalf("api = %+v, %v: want generation 1 kept", s, err)
		}
		evs, _ := a.db.FindEvents(ctx, store.EventFilter{UID: "api", Kind: store.EventInvalid})
		if len(evs) != 1 {
			t.Fatalf("invalid events %+v", evs)
		}
		mustApply(t, c, "node-a", specs("api")...) // the good value again
		a.converge(t, waitLong, func() error {
			if st := statusOf(t, c, "node-a")["api"]; st.Refused != "" || st.State != "running" {
				return fmt.Errorf("status of api: %+v", st)
			}
			return nil
		})
	})
	t.Run("StatusAndEvents", func(t *testing.T) {
		a.converge(t, waitLong, func() error {
			st := statusOf(t, c, "node-a")
			if len(st) != 2 || st["web"].State != "running" || st["web"].RunningGeneration != 2 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
		a.converge(t, waitLong, sameEvents(t, c, a))
		b.converge(t, waitLong, sameEvents(t, c, b))
		ns, err := c.Status(ctx, "")
		if err != nil || len(ns) != 2 || ns[0].Report == nil || ns[0].ReportedAt.IsZero() {
			t.Fatalf("status of all nodes: %+v, %v", ns, err)
		}
	})
	t.Run("EventsFollow", func(t *testing.T) {
		fctx, cancel := context.WithTimeout(ctx, waitLong)
		defer cancel()
		got := make(chan fleet.Event, 1024)
		done := make(chan error, 1)
		go func() {
			done <- c.Events(fctx, "node-b", true, func(e fleet.Event) error { got <- e; return nil })
		}()
		mustApply(t, c, "node-b", specs("late")...)
		for {
			select {
			case e := <-got:
				if e.Node != "node-b" {
					t.Fatalf("followed node-b, got %+v", e)
				}
				if e.UID != "late" || e.Kind != string(store.EventLaunched) {
					continue
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("follow ended with %v", err)
				}
				return
			case <-fctx.Done():
				t.Fatal("no launched event for late while following")
			default:
				if err := b.sup.Reconcile(ctx); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond) // polling the supervisor with a deadline, as converge does
			}
		}
	})
	t.Run("RestartResumes", func(t *testing.T) {
		a.stop()
		_, rev, _ := a.db.FleetPosition(ctx)
		before, _ := a.db.FindEvents(ctx, store.EventFilter{})
		a.start(t, []string{url})
		mustApply(t, c, "node-a", specs("new")...)
		a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 2, "api": 1, "new": 1}))
		after, _ := a.db.FindEvents(ctx, store.EventFilter{AfterID: before[len(before)-1].ID})
		for _, e := range after {
			if e.UID != "new" {
				t.Errorf("after the restart: %+v (only new's events expected: nothing rewritten)", e)
			}
		}
		if _, rev2, _ := a.db.FleetPosition(ctx); rev2 <= rev {
			t.Errorf("revision %d -> %d", rev, rev2)
		}
		a.converge(t, waitLong, sameEvents(t, c, a))
	})
	t.Run("BucketMadeAnew", func(t *testing.T) {
		// The bucket is deleted and made again while the node is stopped, its
		// revisions grown past the stored one: the node must not resume from
		// there, or it misses api's new value written at revision 1.
		a.stop()
		b.stop()
		_, rev, _ := a.db.FleetPosition(ctx)
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		if err := js.DeleteKeyValue(ctx, fleet.DefaultSpecsBucket); err != nil {
			t.Fatal(err)
		}
		c2 := dialClient(t, url) // makes the bucket again
		api := specs("api")
		api[0].Env = map[string]string{"NEW": "1"}
		mustApply(t, c2, "node-a", api...)
		web := specs("web")
		for i := int64(0); i <= rev; i++ {
			web[0].Env = map[string]string{"V": strconv.FormatInt(100+i, 10)}
			mustApply(t, c2, "node-a", web...)
		}
		a.start(t, []string{url})
		// Another bucket than the one mirrored: held, everything kept.
		waitHold(t, a, fleet.HoldIdentity)
		a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 2, "api": 1, "new": 1}))
		// The operator confirms: the node applies what the bucket holds,
		// from its revision 1 on.
		if _, err := c2.Resync(ctx, "node-a"); err != nil {
			t.Fatal(err)
		}
		a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 3, "api": 2}))
		if h := a.node.Held(); h != nil {
			t.Errorf("held after the resync: %+v", h)
		}
	})
}
