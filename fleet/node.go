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

	"github.com/veloslet/veloslet/store"
)

// Defaults for a Node's intervals.
const (
	DefaultReportInterval = time.Second
	DefaultHeartbeat      = 30 * time.Second
	DefaultCheckInterval  = 2 * time.Second
	DefaultBrakeShare     = 0.5 // as [reconcile] brake_share
	DefaultBrakeMin       = 3   // as [reconcile] brake_min
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
	// BrakeShare and BrakeMin: a catch-up that would delete more than
	// BrakeMin and more than BrakeShare of the node's fleet specs holds the
	// mirror instead (the [reconcile] brake's settings; 0: the defaults).
	BrakeShare float64
	BrakeMin   int
	// CheckInterval is how often the specs bucket's identity is read, so
	// that a bucket deleted or made anew is noticed while the watch runs.
	CheckInterval time.Duration

	mu        sync.Mutex
	connected bool
	since     time.Time
	epoch     int // bumped when the connection goes down or comes back
	kick      chan struct{}
	notify    chan struct{}
	held      *Hold
	badKeys   map[string]bool // key@revision refused already
}

// State says whether the node is connected, and since when it is (or is not).
func (n *Node) State() (connected bool, since time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connected, n.since
}

// StateLine is what `status` and /healthz print: the connection, the
// hold on a second line while one is kept, and the supervisor's brake
// holding fleet-caused removals on a third.
func (n *Node) StateLine() string {
	c, since := n.State()
	line := FormatState(State{Connected: c, Since: since, Node: n.Config.Node})
	if h := n.Held(); h != nil {
		line += "\n" + h.Line(n.Config.Node)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if b := BrakeLine(ctx, n.DB); b != "" {
		line += "\n" + strings.ReplaceAll(b, "NODE", n.Config.Node)
	}
	return line
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

// setConnected records the connection's state. Only a change counts: the
// connect callback and Run's own check both report the first connection,
// and a session must not take the second report for a new connection.
func (n *Node) setConnected(c bool) {
	n.mu.Lock()
	if c == n.connected {
		n.mu.Unlock()
		return
	}
	n.connected, n.since = c, time.Now()
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
	if n.CheckInterval <= 0 {
		n.CheckInterval = DefaultCheckInterval
	}
	if n.BrakeShare <= 0 {
		n.BrakeShare = DefaultBrakeShare
	}
	if n.BrakeMin <= 0 {
		n.BrakeMin = DefaultBrakeMin
	}
	if h, err := ReadHold(ctx, n.DB); err == nil {
		n.setHeld(h) // shown from the start, before any server answers
	}
	opts := append(n.Config.dialOptions("veloslet "+n.Config.Node), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(retryWait),
		nats.ConnectHandler(func(*nats.Conn) { n.setConnected(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { n.setConnected(true) }),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { n.setConnected(false) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			n.log().Warn("fleet: server or client error", "error", err, "subject", subj)
		}))
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
			if errors.Is(err, errWatchClosed) {
				// The client closes an ordered consumer it could not
				// re-create (seen after raw publishes of wildcard keys):
				// no loss, the next session resumes from the store.
				n.log().Info("fleet: the specs watch closed; watching again from the stored revision")
			} else {
				n.log().Warn("fleet session ended; retrying", "error", err)
			}
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

// firstBadKey reports whether the bad key id (key@revision) is new to
// this process, so that a hostile key is refused once, not at every resync.
func (n *Node) firstBadKey(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.badKeys == nil {
		n.badKeys = map[string]bool{}
	}
	if n.badKeys[id] || len(n.badKeys) >= maxBadKeys {
		return false
	}
	n.badKeys[id] = true
	return true
}

// maxBadKeys bounds the refused keys remembered (and reported): a flood of
// raw publishes must not grow memory or the events table without end.
const maxBadKeys = 1000

func (n *Node) currentEpoch() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.epoch
}
