package fleet

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	st      specsState
	resync  bool // the operator confirmed: every key once, no brake
	epoch   int  // the connection's, when the session began
	w       jetstream.KeyWatcher
	source  string
	full    bool // the watch began with every key's current value
	caught  bool // the watch's initial values are in
	pending []store.FleetChange
	badKeys []string
	rev     int64
}

func (m *mirror) updates() <-chan jetstream.KeyValueEntry { return m.w.Updates() }

func (m *mirror) stop() { _ = m.w.Stop() }

// start watches from the revision after the store's, or from every key's
// current value when the store's revision is not from this bucket identity
// and node, or the bucket's last revision is below ours. A full watch starts
// the revision over: revisions belong to one bucket identity.
func (m *mirror) start(ctx context.Context) error {
	cfg := m.n.Config
	src, rev, err := m.n.DB.FleetPosition(ctx)
	if err != nil {
		return err
	}
	m.source = m.n.source(m.st)
	m.full = m.resync || rev == 0 || src != m.source || int64(m.st.last) < rev
	var opts []jetstream.WatchOpt
	if m.full {
		m.rev = 0
	} else {
		m.rev = rev
		opts = append(opts, jetstream.ResumeFromRevision(uint64(rev)+1))
	}
	m.w, err = m.kv.Watch(ctx, cfg.Node+".>", opts...)
	if err != nil {
		return fmt.Errorf("fleet: watch %s.>: %w", cfg.Node, err)
	}
	m.n.log().Info("fleet watch", "resume_from", m.rev+1, "full_resync", m.full, "confirmed", m.resync)
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
				if m.n.currentEpoch() != m.epoch {
					return errors.New("fleet: connection changed during the catch-up")
				}
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
	if !ValidKey(e.Key()) && e.Operation() == jetstream.KeyValuePut { // a marker on one (fleet delete) is no news
		// Never a uid, a status key or a subject: one event per key and
		// revision, then nothing.
		id := fmt.Sprintf("%s@%d", strconv.QuoteToASCII(e.Key()), e.Revision())
		if m.n.firstBadKey(id) {
			m.badKeys = append(m.badKeys, id)
		}
		return
	}
	if !ValidKey(e.Key()) {
		return
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
// this node was away would otherwise leave their spec for good. A catch-up
// that would delete more than the brake allows applies nothing and holds
// the mirror, unless the operator confirmed this resync.
func (m *mirror) flush(ctx context.Context, initial bool) error {
	b := store.FleetBatch{Bucket: m.n.Config.SpecsBucket, Source: m.source, Revision: m.rev,
		Changes: m.pending, Full: initial && m.full, BadKeys: m.badKeys, ClearHold: initial && m.resync}
	if initial {
		owned, err := m.n.DB.FindFleetSpecs(ctx)
		if err != nil {
			return err
		}
		if !m.full {
			gone, err := m.goneKeys(ctx, owned)
			if err != nil {
				return err
			}
			b.Changes = append(b.Changes, gone...)
		}
		if n := wouldDelete(owned, b); !m.resync && n > m.n.BrakeMin && float64(n) > m.n.BrakeShare*float64(len(owned)) {
			err := m.n.hold(ctx, &Hold{Kind: HoldBrake, Bucket: b.Bucket, Created: m.st.created,
				LastSeq: max(m.st.last, uint64(m.rev)),
				Reason: fmt.Sprintf("the catch-up would delete %d of the node's %d fleet specs (more than brake_share %g)",
					n, len(owned), m.n.BrakeShare)})
			if err != nil {
				return err
			}
			return errRestart
		}
	}
	m.pending, m.badKeys = nil, nil
	if len(b.Changes) == 0 && len(b.BadKeys) == 0 && !initial {
		return nil
	}
	res, err := m.n.DB.ApplyFleetBatch(ctx, b)
	if err != nil {
		return fmt.Errorf("fleet: mirror revision %d: %w", b.Revision, err)
	}
	if b.ClearHold {
		m.n.setHeld(nil)
		m.n.log().Info("fleet resync confirmed and applied; hold released")
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

// wouldDelete counts the fleet specs of owned that b would delete.
func wouldDelete(owned []*store.FleetSpec, b store.FleetBatch) int {
	left := make(map[string]bool, len(owned))
	for _, f := range owned {
		left[f.UID] = !b.Full // a full batch keeps only what it names
	}
	for _, c := range b.Changes {
		if _, ok := left[c.UID]; ok {
			left[c.UID] = !c.Delete
		}
	}
	n := 0
	for _, kept := range left {
		if !kept {
			n++
		}
	}
	return n
}

// goneKeys returns a delete for each fleet-owned uid with no live key.
func (m *mirror) goneKeys(ctx context.Context, owned []*store.FleetSpec) ([]store.FleetChange, error) {
	if len(owned) == 0 {
		return nil, nil
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
