package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// Defaults for a Node's intervals.
const (
	DefaultReportInterval = time.Second
	DefaultHeartbeat      = 30 * time.Second
	retryWait             = time.Second
)

// Node mirrors one node's specs from the fleet into its store and reports
// its status and events back. Run it beside the supervisor; the supervisor
// never waits on it.
type Node struct {
	Config Config
	DB     *store.DB
	// Decode turns a bucket value into a spec; DecodeValue when nil.
	Decode DecodeFunc
	Logger *slog.Logger
	// OnChange is called after a batch changed the desired state, so that
	// a pass runs at once; the scheduler also notices the write by itself.
	OnChange func()
	// ReportInterval is how often status and events are compared with what
	// was sent; Heartbeat how often the node's own report is rewritten.
	ReportInterval, Heartbeat time.Duration
	// Options are added to the connection's (tests shorten reconnect waits).
	Options []nats.Option

	mu        sync.Mutex
	connected bool
	since     time.Time
	epoch     int // bumped by every disconnect and reconnect
	kick      chan struct{}
	notify    chan struct{}
}

// State says whether the node is connected, and since when it is (or is not).
func (n *Node) State() (connected bool, since time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connected, n.since
}

// StateLine is the one line `status` and /healthz print.
func (n *Node) StateLine() string {
	c, since := n.State()
	return FormatState(State{Connected: c, Since: since, Node: n.Config.Node})
}

// Notify says that a pass ended: statuses and events may have changed.
func (n *Node) Notify() {
	n.init()
	select {
	case n.notify <- struct{}{}:
	default:
	}
}

func (n *Node) init() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.kick == nil {
		n.kick, n.notify = make(chan struct{}, 1), make(chan struct{}, 1)
		n.since = time.Now()
	}
}

func (n *Node) setConnected(c bool) {
	n.mu.Lock()
	if c != n.connected {
		n.connected, n.since = c, time.Now()
	}
	n.epoch++
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

func (n *Node) log() *slog.Logger {
	if n.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Logger.With("fleet", n.Config.Node)
}

// Run connects and mirrors until ctx ends. It returns an error only for a
// connection that cannot even be set up (a bad credentials file); an
// unreachable server is waited for, while the supervisor goes on.
func (n *Node) Run(ctx context.Context) error {
	n.init()
	if n.Decode == nil {
		n.Decode = DecodeValue
	}
	if n.ReportInterval <= 0 {
		n.ReportInterval = DefaultReportInterval
	}
	if n.Heartbeat <= 0 {
		n.Heartbeat = DefaultHeartbeat
	}
	opts := append(n.Config.dialOptions("veloslet "+n.Config.Node), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(retryWait),
		nats.ConnectHandler(func(*nats.Conn) { n.setConnected(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { n.setConnected(true) }),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { n.setConnected(false) }))
	nc, err := nats.Connect(strings.Join(n.Config.URLs, ","), append(opts, n.Options...)...)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	defer nc.Close()
	if nc.IsConnected() {
		n.setConnected(true)
	}
	for ctx.Err() == nil {
		// Every round records the state: the kick of a change may have been
		// taken by a session's catch-up, which then ended without saving.
		n.saveState(ctx)
		if !nc.IsConnected() {
			select {
			case <-n.kick:
			case <-ctx.Done():
			}
			continue
		}
		if err := n.session(ctx, nc); err != nil && ctx.Err() == nil {
			n.log().Warn("fleet session ended; retrying", "error", err)
			select {
			case <-time.After(retryWait): // the cluster may be electing a leader
			case <-ctx.Done():
			}
		}
	}
	n.mu.Lock()
	n.connected, n.since = false, time.Now()
	n.mu.Unlock()
	n.saveState(context.WithoutCancel(ctx))
	return nil
}

// State is the connection as serve records it in meta for `status`.
type State struct {
	Node      string    `json:"node"`
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since"`
}

// FormatState renders "fleet: connected since …" or "fleet: disconnected since …".
func FormatState(s State) string {
	word := "disconnected"
	if s.Connected {
		word = "connected"
	}
	return fmt.Sprintf("fleet: %s since %s (node %s)", word, s.Since.UTC().Format("2006-01-02 15:04:05Z"), s.Node)
}

// ReadState reads the state serve recorded; ok is false when it never did.
func ReadState(ctx context.Context, db *store.DB) (s State, ok bool, err error) {
	v, err := db.Meta(ctx, store.MetaFleetState)
	if errors.Is(err, store.ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, false, fmt.Errorf("meta %s = %q: %w", store.MetaFleetState, v, err)
	}
	return s, true, nil
}

func (n *Node) saveState(ctx context.Context) {
	c, since := n.State()
	b, _ := json.Marshal(State{Node: n.Config.Node, Connected: c, Since: since.UTC()})
	if err := n.DB.SetMeta(ctx, store.MetaFleetState, string(b)); err != nil && ctx.Err() == nil {
		n.log().Warn("fleet: record connection state", "error", err)
	}
}

func (n *Node) currentEpoch() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.epoch
}

// session mirrors and reports over one connection until it drops: then the
// watch is made anew from the store's revision, whichever server answers.
func (n *Node) session(ctx context.Context, nc *nats.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	epoch := n.currentEpoch()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	b, err := openBuckets(ctx, js, n.Config)
	if err != nil {
		return err
	}
	m := &mirror{n: n, kv: b.specs}
	if err := m.start(ctx); err != nil {
		return err
	}
	defer m.stop()
	r := &reporter{n: n, b: b}
	if err := r.start(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(n.ReportInterval)
	defer tick.Stop()
	n.log().Info("fleet connected", "url", nc.ConnectedUrlRedacted(), "bucket", n.Config.SpecsBucket)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
			n.saveState(ctx) // even with the epoch unchanged: it may have moved before this session read it
			if n.currentEpoch() != epoch {
				return nil
			}
		case e, ok := <-m.updates():
			if !ok {
				return errWatchClosed
			}
			if err := m.handle(ctx, e); err != nil {
				return err
			}
		case <-n.notify:
			if err := r.report(ctx, false); err != nil {
				return err
			}
		case <-tick.C:
			if err := r.report(ctx, false); err != nil {
				return err
			}
		}
	}
}
