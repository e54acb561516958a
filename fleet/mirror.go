package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// maxBatch bounds the entries one transaction mirrors once the watch has
// caught up; the first catch-up is one transaction whatever its size, so a
// full resync either happens whole or not at all.
const maxBatch = 1000

// mirror applies the node's keys of the specs bucket to the store.
type mirror struct {
	n       *Node
	kv      jetstream.KeyValue
	w       jetstream.KeyWatcher
	source  string
	full    bool // the watch began with every key's current value
	caught  bool // the watch's initial values are in
	pending []store.FleetChange
	rev     int64
}

func (m *mirror) updates() <-chan jetstream.KeyValueEntry { return m.w.Updates() }

func (m *mirror) stop() { _ = m.w.Stop() }

// start watches from the revision after the store's, or from every key's
// current value when the store's revision is not from this bucket, node and
// bucket creation, or the bucket's last revision is below ours.
func (m *mirror) start(ctx context.Context) error {
	cfg := m.n.Config
	src, rev, err := m.n.DB.FleetPosition(ctx)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	st, err := m.kv.Status(sctx)
	if err != nil {
		return fmt.Errorf("fleet: bucket %s: %w", cfg.SpecsBucket, err)
	}
	// The bucket's creation time is part of the source: a bucket deleted
	// and made anew restarts its revisions, which may pass ours again.
	last, created := int64(-1), int64(0)
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		last, created = int64(bs.StreamInfo().State.LastSeq), bs.StreamInfo().Created.UnixNano()
	}
	m.source = fmt.Sprintf("%s/%s/%d", cfg.SpecsBucket, cfg.Node, created)
	m.full = rev == 0 || src != m.source || last < rev
	m.rev = rev
	var opts []jetstream.WatchOpt
	if !m.full {
		opts = append(opts, jetstream.ResumeFromRevision(uint64(rev)+1))
	}
	m.w, err = m.kv.Watch(ctx, cfg.Node+".>", opts...)
	if err != nil {
		return fmt.Errorf("fleet: watch %s.>: %w", cfg.Node, err)
	}
	m.n.log().Info("fleet watch", "resume_from", rev+1, "full_resync", m.full)
	return nil
}

// errWatchClosed ends a session whose watch the client closed.
var errWatchClosed = errors.New("fleet: the specs watch closed")

// handle takes one entry, or the nil that ends the initial values, and
// applies what has gathered once nothing more is waiting (at once, up to
// maxBatch entries) or, before that nil, once every initial value is in.
func (m *mirror) handle(ctx context.Context, e jetstream.KeyValueEntry) error {
	for {
		if e != nil {
			m.add(e)
		} else if !m.caught {
			m.caught = true
			return m.flush(ctx, true)
		}
		if m.caught && len(m.pending) >= maxBatch {
			return m.flush(ctx, false)
		}
		var ok bool
		if m.caught {
			select {
			case e, ok = <-m.w.Updates():
			default:
				return m.flush(ctx, false)
			}
		} else {
			select {
			case e, ok = <-m.w.Updates():
			case <-m.n.kick:
				return errors.New("fleet: connection changed during the catch-up")
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !ok {
			return errWatchClosed
		}
	}
}

func (m *mirror) add(e jetstream.KeyValueEntry) {
	uid := strings.TrimPrefix(e.Key(), m.n.Config.Node+".")
	c := store.FleetChange{UID: uid, Key: e.Key(), Revision: int64(e.Revision())}
	if e.Revision() > uint64(m.rev) {
		m.rev = int64(e.Revision())
	}
	switch {
	case e.Operation() != jetstream.KeyValuePut:
		c.Delete = true
	default:
		s, err := m.n.Decode(e.Value())
		switch {
		case err != nil:
			c.Refused = err.Error()
		case s.UID == "":
			s.UID = uid // the key names it
			c.Spec = s
		default:
			c.Spec = s
		}
	}
	m.pending = append(m.pending, c)
}

// flush applies the gathered entries in one transaction. At the end of the
// initial values of a resumed watch, it also deletes the fleet-owned uids
// whose key is gone: a delete marker removed from the bucket (purged) while
// this node was away would otherwise leave their spec for good.
func (m *mirror) flush(ctx context.Context, initial bool) error {
	b := store.FleetBatch{Bucket: m.n.Config.SpecsBucket, Source: m.source, Revision: m.rev,
		Changes: m.pending, Full: initial && m.full}
	if initial && !m.full {
		gone, err := m.goneKeys(ctx)
		if err != nil {
			return err
		}
		b.Changes = append(b.Changes, gone...)
	}
	m.pending = nil
	if len(b.Changes) == 0 && !initial {
		return nil
	}
	res, err := m.n.DB.ApplyFleetBatch(ctx, b)
	if err != nil {
		return fmt.Errorf("fleet: mirror revision %d: %w", b.Revision, err)
	}
	if res.Created+res.Updated+res.Deleted+res.Refused > 0 {
		m.n.log().Info("fleet specs mirrored", "revision", b.Revision, "created", res.Created, "updated", res.Updated,
			"deleted", res.Deleted, "refused", res.Refused, "unchanged", res.Unchanged)
	}
	if res.Changed() && m.n.OnChange != nil {
		m.n.OnChange()
	}
	return nil
}

// goneKeys returns a delete for each fleet-owned uid with no live key.
func (m *mirror) goneKeys(ctx context.Context) ([]store.FleetChange, error) {
	owned, err := m.n.DB.FindFleetSpecs(ctx)
	if err != nil || len(owned) == 0 {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	l, err := m.kv.ListKeysFiltered(lctx, m.n.Config.Node+".>")
	if err != nil {
		return nil, fmt.Errorf("fleet: list keys: %w", err)
	}
	defer func() { _ = l.Stop() }()
	live := map[string]bool{}
	for k := range l.Keys() {
		live[k] = true
	}
	var gone []store.FleetChange
	for _, f := range owned {
		if f.Bucket == m.n.Config.SpecsBucket && !live[f.Key] {
			gone = append(gone, store.FleetChange{UID: f.UID, Key: f.Key, Revision: m.rev, Delete: true})
		}
	}
	return gone, nil
}
