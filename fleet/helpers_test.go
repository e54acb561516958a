package fleet_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// freePort returns a port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// serverOpts is one JetStream server on 127.0.0.1, its files under dir.
func serverOpts(name, dir string, port int) *server.Options {
	return &server.Options{ServerName: name, Host: "127.0.0.1", Port: port, JetStream: true,
		StoreDir: dir, NoLog: true, NoSigs: true, JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 1 << 30}
}

// startServer starts a server and shuts it down at cleanup.
func startServer(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatalf("server %s not ready", opts.ServerName)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// oneServer starts a single JetStream server and returns its URL.
func oneServer(t testing.TB) (*server.Server, string) {
	t.Helper()
	s := startServer(t, serverOpts("s1", t.TempDir(), freePort(t)))
	return s, s.ClientURL()
}

// cluster starts three servers routed to each other.
func cluster(t testing.TB) ([]*server.Server, []*server.Options) {
	t.Helper()
	cports := []int{freePort(t), freePort(t), freePort(t)}
	var routes []*url.URL
	for _, p := range cports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	var opts []*server.Options
	for i := range 3 {
		o := serverOpts(fmt.Sprintf("s%d", i+1), t.TempDir(), freePort(t))
		o.Cluster = server.ClusterOpts{Name: "fleet", Host: "127.0.0.1", Port: cports[i]}
		o.Routes = routes
		opts = append(opts, o)
	}
	servers := make([]*server.Server, 3)
	var wg sync.WaitGroup
	for i, o := range opts {
		wg.Go(func() { servers[i] = startServer(t, o) })
	}
	wg.Wait()
	return servers, opts
}

// testNode is one simulated host: a store, the simulated runtime, a
// supervisor driven by the test and a fleet node.
type testNode struct {
	name string
	db   *store.DB
	rt   *fake.Runtime
	sup  *supervisor.Supervisor
	node *fleet.Node
	stop func()
	log  *slog.Logger // the fleet node's; none when nil
	// createBuckets is the node's Config.CreateBuckets (option createBuckets{}).
	createBuckets bool
	nkey          string        // Config.NKey (option nkeyFile)
	heartbeat     time.Duration // Node.Heartbeat (option heartbeatEvery); 0: the default
}

// createBuckets, among newTestNode's options, lets the node create the specs bucket.
type createBuckets struct{}

// nkeyFile, among newTestNode's options, is the node's nkey seed file.
type nkeyFile string

// heartbeatEvery, among newTestNode's options, is the node's Heartbeat.
type heartbeatEvery time.Duration

func newTestNode(t testing.TB, name string, urls []string, opts ...any) *testNode {
	t.Helper()
	db := storetest.MustOpenDB(t)
	rt := fake.New()
	sup := supervisor.New(db, rt)
	sup.Policy.BackoffInitial, sup.Policy.Jitter = 0, 0 // relaunch at once
	sup.Logger = slog.New(slog.DiscardHandler)
	tn := &testNode{name: name, db: db, rt: rt, sup: sup}
	if os.Getenv("VELOSLET_TEST_FLEET_LOG") != "" { // the nodes' logs, to follow a failing test
		tn.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	for _, o := range opts {
		if l, ok := o.(testLogger); ok {
			tn.log = l.Logger
		}
		if _, ok := o.(createBuckets); ok {
			tn.createBuckets = true
		}
		if f, ok := o.(nkeyFile); ok {
			tn.nkey = string(f)
		}
		if h, ok := o.(heartbeatEvery); ok {
			tn.heartbeat = time.Duration(h)
		}
	}
	tn.start(t, urls, natsOptions(opts)...)
	return tn
}

// testLogger, among newTestNode's options, is the node's logger.
type testLogger struct{ *slog.Logger }

func natsOptions(opts []any) []nats.Option {
	var out []nats.Option
	for _, o := range opts {
		if no, ok := o.(nats.Option); ok {
			out = append(out, no)
		}
	}
	return out
}

func (tn *testNode) start(t testing.TB, urls []string, opts ...nats.Option) {
	cfg := fleet.Config{URLs: urls, Node: tn.name, SpecsBucket: fleet.DefaultSpecsBucket,
		StatusBucket: fleet.DefaultStatusBucket, EventsStream: fleet.DefaultEventsStream, CreateBuckets: tn.createBuckets, NKey: tn.nkey}
	tn.node = &fleet.Node{Config: cfg, DB: tn.db, ReportInterval: 50 * time.Millisecond, CheckInterval: 100 * time.Millisecond,
		Options: append([]nats.Option{nats.ReconnectWait(100 * time.Millisecond)}, opts...)}
	tn.node.Logger, tn.node.Heartbeat = tn.log, tn.heartbeat
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tn.node.Run(ctx) }()
	tn.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node %s: %v", tn.name, err)
		}
	})
	t.Cleanup(tn.stop)
}

// running returns uid -> generation of the instances the runtime runs.
func (tn *testNode) running(t testing.TB) map[string]int64 {
	t.Helper()
	list, err := tn.rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, in := range list {
		if in.State == runtime.StateRunning {
			out[in.UID] = in.Generation()
		}
	}
	return out
}

// converge runs passes until check passes or the deadline.
func (tn *testNode) converge(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	storetest.RetryUntil(t, 20*time.Millisecond, timeout, func() error {
		if err := tn.sup.Reconcile(context.Background()); err != nil {
			return err
		}
		return check()
	})
}

// wantRunning checks that exactly want (uid -> generation) runs.
func (tn *testNode) wantRunning(t testing.TB, want map[string]int64) func() error {
	return func() error {
		got := tn.running(t)
		if len(got) != len(want) {
			return fmt.Errorf("node %s runs %v, want %v", tn.name, got, want)
		}
		for uid, g := range want {
			if got[uid] != g {
				return fmt.Errorf("node %s runs %v, want %v", tn.name, got, want)
			}
		}
		return nil
	}
}

func dialClient(t testing.TB, urls ...string) *fleet.Client {
	t.Helper()
	c, err := fleet.Dial(context.Background(), fleet.Config{URLs: urls, SpecsBucket: fleet.DefaultSpecsBucket,
		StatusBucket: fleet.DefaultStatusBucket, EventsStream: fleet.DefaultEventsStream})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func specs(uids ...string) []store.Spec {
	out := make([]store.Spec, len(uids))
	for i, u := range uids {
		out[i] = store.Spec{UID: u, Container: spec.Container{Image: "busybox:1.37", Command: []string{"sleep", "infinity"}}}
	}
	return out
}

// waitHold waits until tn's node keeps a hold of kind, in memory and in its store.
func waitHold(t testing.TB, tn *testNode, kind string) *fleet.Hold {
	t.Helper()
	var h *fleet.Hold
	storetest.RetryUntil(t, 20*time.Millisecond, 30*time.Second, func() error {
		h = tn.node.Held()
		kept, err := fleet.ReadHold(context.Background(), tn.db)
		if err != nil {
			return err
		}
		if h == nil || h.Kind != kind || kept == nil || kept.Kind != kind {
			return fmt.Errorf("node %s holds %+v (kept %+v), want a %s hold", tn.name, h, kept, kind)
		}
		return nil
	})
	return h
}
