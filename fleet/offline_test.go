package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
)

func waitState(t *testing.T, tn *testNode, connected bool) {
	t.Helper()
	tn.converge(t, waitLong, func() error {
		if c, _ := tn.node.State(); c != connected {
			return fmt.Errorf("node %s connected = %v", tn.name, c)
		}
		s, ok, err := fleet.ReadState(context.Background(), tn.db)
		if err != nil || !ok || s.Connected != connected {
			return fmt.Errorf("recorded state %+v %v %v, want connected = %v", s, ok, err, connected)
		}
		return nil
	})
}

// countEvents counts the store's events of kind per uid.
func countEvents(t *testing.T, db *store.DB, kind store.EventKind) map[string]int {
	t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		out[e.UID]++
	}
	return out
}

// crashAndRelaunch makes uid's instance exit and waits for the relaunch.
func crashAndRelaunch(t *testing.T, tn *testNode, uid string) {
	t.Helper()
	before := countEvents(t, tn.db, store.EventRelaunched)[uid]
	if err := tn.rt.SetExited(uid, 1); err != nil {
		t.Fatal(err)
	}
	tn.converge(t, waitLong, func() error {
		if n := countEvents(t, tn.db, store.EventRelaunched)[uid]; n != before+1 {
			return fmt.Errorf("%s relaunched %d times, want %d", uid, n, before+1)
		}
		if tn.running(t)[uid] == 0 {
			return errors.New(uid + " not running")
		}
		return nil
	})
}

// TestNode_CutOff: a node whose network is cut keeps relaunching crashes
// from its store, says it is disconnected, and on reconnection catches up
// with the changes made meanwhile: none lost, none applied twice, every
// event in the stream once. Then the server itself stops and comes back.
func TestNode_CutOff(t *testing.T) {
	opts := serverOpts("s1", t.TempDir(), freePort(t))
	s := startServer(t, opts.Clone())
	url := s.ClientURL()
	c := dialClient(t, url)
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", opts.Port))
	n := newTestNode(t, "edge-1", []string{p.url()})
	mustApply(t, c, "edge-1", specs("web", "api", "db")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1, "db": 1}))
	waitState(t, n, true)

	p.cut()
	waitState(t, n, false)
	up := specs("web")
	up[0].Env = map[string]string{"V": "2"}
	mustApply(t, c, "edge-1", up...)
	mustApply(t, c, "edge-1", specs("new")...)
	if err := c.Delete(context.Background(), "edge-1", "db"); err != nil {
		t.Fatal(err)
	}
	crashAndRelaunch(t, n, "api")
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1, "db": 1})) // the store rules offline

	p.restore()
	waitState(t, n, true)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 2, "api": 1, "new": 1}))
	for kind, want := range map[store.EventKind]map[string]int{
		store.EventSpecCreated: {"web": 1, "api": 1, "db": 1, "new": 1},
		store.EventSpecUpdated: {"web": 1},
		store.EventSpecDeleted: {"db": 1},
	} {
		if got := countEvents(t, n.db, kind); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s events %v, want %v", kind, got, want)
		}
	}
	n.converge(t, waitLong, sameEvents(t, c, n))

	// The server stops: same again, then it comes back on its port and files.
	s.Shutdown()
	s.WaitForShutdown()
	waitState(t, n, false)
	crashAndRelaunch(t, n, "web")
	startServer(t, opts.Clone())
	waitState(t, n, true)
	c2 := dialClient(t, url)
	mustApply(t, c2, "edge-1", specs("late")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 2, "api": 1, "new": 1, "late": 1}))
	n.converge(t, waitLong, sameEvents(t, c2, n))
	if got := countEvents(t, n.db, store.EventSpecCreated); len(got) != 5 || got["late"] != 1 || got["web"] != 1 {
		t.Errorf("spec_created events %v", got)
	}
	// The server came back on its files: the same bucket, nothing to hold.
	if h := n.node.Held(); h != nil || len(countEvents(t, n.db, store.EventBrakeHeld)) != 0 {
		t.Errorf("held %+v after a restart on the same files", h)
	}
}
