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
// initial values it also looks at the node's fleet specs that no entry
// named: a key whose newest entry is a delete marker (seen now, the marker
// itself perhaps older than the stored revision) deletes the spec; a key
// the bucket holds nothing for is absence, not evidence, and its spec is
// kept under an absent hold (evidence.go). Only a resync the operator
// confirmed deletes by absence. A catch-up that would delete more than the
// brake allows applies nothing and holds the mirror, unless the operator
// confirmed this resync.
func (m *mirror) flush(ctx context.Context, initial bool) error {
	b := store.FleetBatch{Bucket: m.n.Config.SpecsBucket, Source: m.source, Revision: m.rev,
		Changes: m.pending, Full: initial && m.resync, BadKeys: m.badKeys, ClearHold: initial && m.resync}
	var absent []string
	if initial {
		owned, err := m.n.DB.FindFleetSpecs(ctx)
		if err != nil {
			return err
		}
		if !m.resync {
			if absent, err = m.evidence(ctx, owned, &b); err != nil {
				return err
			}
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
	if initial && !m.resync {
		err = m.holdAbsent(ctx, absent)
	} else if !initial {
		err = m.settleAbsent(ctx, b.Changes)
	}
	if err != nil {
		return err
	}
	if res.Created+res.Updated+res.Deleted+res.Refused > 0 {
		m.n.log().Info("fleet specs mirrored", "revision", b.Revision, "created", res.Created, "updated", res.Updated,
			"deleted", res.Deleted, "refused", res.Refused, "unchanged", res.Unchanged)
	}
	// A confirmed resync also lets go of the removals the brake held for
	// the fleet: a pass at once, even when no spec changed.
	if (res.Changed() || b.ClearHold) && m.n.OnChange != nil {
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
