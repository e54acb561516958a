package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// Client is what the fleet verbs use: the buckets and the stream, no store.
type Client struct {
	Config Config
	nc     *nats.Conn
	b      *buckets
}

// Dial connects for one command; Close ends it.
func Dial(ctx context.Context, c Config) (*Client, error) {
	nc, err := Connect(c, "veloslet fleet")
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b, err := openBuckets(ctx, js, c, true) // an operator's verb may create the specs bucket
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &Client{Config: c, nc: nc, b: b}, nil
}

// Close closes the connection.
func (c *Client) Close() { c.nc.Close() }

// PutResult is what Apply did with one spec.
type PutResult struct {
	UID      string
	Key      string
	Revision uint64 // the key's revision now
	Changed  bool   // false: the bucket held this value already
}

// Apply validates every spec as `apply` does, then writes each to node's key
// unless the bucket holds the same value already. Nothing is written when
// one spec is invalid.
func (c *Client) Apply(ctx context.Context, node string, specs []store.Spec) ([]PutResult, error) {
	if err := ValidNode(node); err != nil {
		return nil, fmt.Errorf("%w: node %q: %v", store.ErrInvalid, node, err)
	}
	seen := map[string]bool{}
	for i := range specs {
		specs[i].Normalize()
		if err := specs[i].Validate(); err != nil {
			return nil, err
		}
		if seen[specs[i].UID] {
			return nil, &store.ValidationError{UID: specs[i].UID, Field: "uid", Value: fmt.Sprintf("%q", specs[i].UID), Reason: "appears twice"}
		}
		seen[specs[i].UID] = true
	}
	out := make([]PutResult, 0, len(specs))
	for _, s := range specs {
		key, v := Key(node, s.UID), EncodeSpec(s)
		r := PutResult{UID: s.UID, Key: key}
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		e, err := c.b.specs.Get(octx, key)
		switch {
		case err == nil && bytes.Equal(e.Value(), v):
			r.Revision = e.Revision()
		case err == nil || errors.Is(err, jetstream.ErrKeyNotFound):
			r.Revision, err = c.b.specs.Put(octx, key, v)
			r.Changed = true
		}
		cancel()
		if err != nil {
			return out, fmt.Errorf("fleet: put %s: %w", key, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Delete deletes node's keys of uids; ErrNotFound (and nothing deleted)
// when one has no key.
func (c *Client) Delete(ctx context.Context, node string, uids ...string) error {
	for _, uid := range uids {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		_, err := c.b.specs.Get(octx, Key(node, uid))
		cancel()
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("key %s in bucket %s: %w", Key(node, uid), c.Config.SpecsBucket, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
	}
	for _, uid := range uids {
		octx, cancel := context.WithTimeout(ctx, opTimeout)
		err := c.b.specs.Delete(octx, Key(node, uid))
		cancel()
		if err != nil {
			return fmt.Errorf("fleet: delete %s: %w", Key(node, uid), err)
		}
	}
	return nil
}

// NodeStatus is one node's rows of the status bucket.
type NodeStatus struct {
	Node       string    `json:"node"`
	ReportedAt time.Time `json:"reported_at"` // the newest write of the node's keys
	Report     *Report   `json:"report,omitempty"`
	// Hold is why the node stopped mirroring, as its report says.
	Hold *Hold `json:"hold,omitempty"`
	// Brake is the node's supervisor holding the removal of instances
	// whose spec the fleet deleted, as its report says ("" when not).
	Brake string   `json:"brake,omitempty"`
	Rows  []Status `json:"rows"`
}

// Status reads the status bucket: every node's, or one node's, ordered by
// node and uid.
func (c *Client) Status(ctx context.Context, node string) ([]*NodeStatus, error) {
	filter := jetstream.AllKeys
	if node != "" {
		filter = node + ".>"
	}
	filters := []string{filter}
	if node != "" {
		filters = append(filters, node)
	}
	wctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := c.b.status.WatchFiltered(wctx, filters, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.Stop() }()
	nodes := map[string]*NodeStatus{}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		if !ValidKey(e.Key()) {
			continue // a raw publish's key: no node wrote it
		}
		name, uid, _ := strings.Cut(e.Key(), ".")
		ns := nodes[name]
		if ns == nil {
			ns = &NodeStatus{Node: name}
			nodes[name] = ns
		}
		if e.Created().After(ns.ReportedAt) {
			ns.ReportedAt = e.Created()
		}
		if uid == "" {
			var r nodeReport
			if json.Unmarshal(e.Value(), &r) == nil {
				ns.Report, ns.Hold, ns.Brake = &r.Report, r.Hold, r.Brake
			}
			continue
		}
		var st Status
		if err := json.Unmarshal(e.Value(), &st); err != nil {
			st = Status{UID: uid, State: "unreadable", Error: err.Error()}
		}
		ns.Rows = append(ns.Rows, st)
	}
	if wctx.Err() != nil {
		return nil, fmt.Errorf("fleet: read bucket %s: %w", c.Config.StatusBucket, wctx.Err())
	}
	out := make([]*NodeStatus, 0, len(nodes))
	for _, ns := range nodes {
		slices.SortFunc(ns.Rows, func(a, b Status) int { return strings.Compare(a.UID, b.UID) })
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b *NodeStatus) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// Events calls fn for each event in the stream, of every node or one, oldest
// first; with follow it then waits for new ones until ctx ends.
func (c *Client) Events(ctx context.Context, node string, follow bool, fn func(Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subj := EventsSubjectPrefix + ".>"
	if node != "" {
		subj = EventsSubjectPrefix + "." + node + ".>"
	}
	cons, err := c.b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		return err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return err
	}
	if info.NumPending == 0 && !follow {
		return nil
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	go func() { <-ctx.Done(); it.Stop() }()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		var e Event
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			e = Event{Kind: "unreadable", Reason: err.Error()}
		}
		if err := fn(e); err != nil {
			return err
		}
		if md, err := m.Metadata(); err == nil && md.NumPending == 0 && !follow {
			return nil
		}
	}
}
