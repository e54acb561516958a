package fleet_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// scaleNode is one simulated host run as serve runs it: a scheduler whose
// passes the fleet node triggers. seen records when each (uid, generation)
// was first seen running, read after each pass.
type scaleNode struct {
	name string
	rt   *fake.Runtime
	sc   *supervisor.Scheduler
	mu   sync.Mutex
	seen map[string]time.Time // "uid@gen"
}

func (sn *scaleNode) observe() {
	list, err := sn.rt.List(context.Background())
	if err != nil {
		return
	}
	now := time.Now()
	sn.mu.Lock()
	defer sn.mu.Unlock()
	for _, in := range list {
		k := in.UID + "@" + strconv.FormatInt(in.Generation(), 10)
		if _, ok := sn.seen[k]; !ok && in.State == runtime.StateRunning {
			sn.seen[k] = now
		}
	}
}

func (sn *scaleNode) runningAt(uid string, gen int64) (time.Time, bool) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	t, ok := sn.seen[uid+"@"+strconv.FormatInt(gen, 10)]
	return t, ok
}

func startScaleNode(t *testing.T, name, url string) *scaleNode {
	db := storetest.MustOpenDB(t)
	rt := fake.New()
	sup := supervisor.New(db, rt)
	sup.Logger = slog.New(slog.DiscardHandler)
	sc := supervisor.NewScheduler(sup)
	sc.Logger, sc.Schedule = sup.Logger, "@every 10s"
	sn := &scaleNode{name: name, rt: rt, sc: sc, seen: map[string]time.Time{}}
	node := &fleet.Node{DB: db, OnChange: func() { sc.Trigger(store.TriggerChange) }, Config: fleet.Config{
		URLs: []string{url}, Node: name, SpecsBucket: fleet.DefaultSpecsBucket,
		StatusBucket: fleet.DefaultStatusBucket, EventsStream: fleet.DefaultEventsStream}}
	sc.OnPass = func(*supervisor.PassResult, error) { sn.observe(); node.Notify() }
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = sc.Stop(context.Background())
	})
	return sn
}

// percentile returns the p-th percentile (0 < p ≤ 1) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// scaleRound writes gen's specs to every node (one `fleet apply` per node,
// from workers in parallel) and returns, per spec, the time from the start
// of its node's apply to the instance running at gen.
func scaleRound(t *testing.T, c *fleet.Client, nodes []*scaleNode, nSpecs int, gen int64) []time.Duration {
	want := uids(nSpecs)
	t.Helper()
	start := make([]time.Time, len(nodes))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				s := specs(want...)
				for j := range s {
					s[j].Env = map[string]string{"GEN": strconv.FormatInt(gen, 10)}
				}
				start[i] = time.Now()
				if _, err := c.Apply(context.Background(), nodes[i].name, s); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range nodes {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Logf("generation %d: every fleet apply returned after %s", gen, time.Since(start[0]).Round(time.Millisecond))
	var lat []time.Duration
	lastLog := time.Now()
	storetest.RetryUntil(t, 100*time.Millisecond, 10*time.Minute, func() error {
		lat = lat[:0]
		missing := 0
		for i, n := range nodes {
			n.observe() // actions end after their pass reports
			for _, uid := range want {
				at, ok := n.runningAt(uid, gen)
				if !ok {
					missing++
					continue
				}
				lat = append(lat, at.Sub(start[i]))
			}
		}
		if missing > 0 {
			if time.Since(lastLog) > 10*time.Second {
				t.Logf("generation %d: %d instances not running yet", gen, missing)
				lastLog = time.Now()
			}
			return fmt.Errorf("%d instances not running at generation %d", missing, gen)
		}
		return nil
	})
	slices.Sort(lat)
	return lat
}

func uids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("svc-%03d", i)
	}
	return out
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestSoak_FleetScale: 100 simulated nodes × 100 specs in one process on
// one embedded server. It reports the time from each node's `fleet apply`
// to each instance running, and from a change of a tenth of the specs to
// their new generation running (docs/performance.md). FLEET_NODES and FLEET_SPECS
// change the size.
func TestSoak_FleetScale(t *testing.T) {
	nNodes, nSpecs := envInt("FLEET_NODES", 100), envInt("FLEET_SPECS", 100)
	_, url := oneServer(t)
	c := dialClient(t, url)
	nodes := make([]*scaleNode, nNodes)
	for i := range nodes {
		nodes[i] = startScaleNode(t, fmt.Sprintf("node-%03d", i), url)
	}
	// The change round changes a tenth of each node's specs: replacing more
	// than half of a node's instances in one pass is what the safety brake
	// holds back (reconcile.brake_share), and a hold is not fleet latency.
	changed := max(1, nSpecs/10)
	for gen, round := range []struct {
		what string
		n    int
	}{{"fleet apply → running", nSpecs}, {"spec change → new generation running", changed}} {
		began := time.Now()
		lat := scaleRound(t, c, nodes, round.n, int64(gen+1))
		t.Logf("%d nodes × %d specs, %s (%d specs): p50 %s, p99 %s, max %s; all running %s after the first apply began",
			nNodes, nSpecs, round.what, len(lat), percentile(lat, 0.5).Round(time.Millisecond),
			percentile(lat, 0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond),
			time.Since(began).Round(time.Millisecond))
	}
}
