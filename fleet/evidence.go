package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// HoldAbsent: fleet specs whose key is gone from the bucket with no delete
// marker to show for it (purged from the stream, expired by the bucket's
// age, a server restored from an older copy). Absence is not evidence: they
// are kept, while every other key goes on being mirrored.
const HoldAbsent = "absent"

// maxHoldUIDs bounds the uids a hold's reason names.
const maxHoldUIDs = 10

// lastOps reads the newest entry of each of the node's keys, delete
// markers included: what the bucket can show of each key now. One watch of
// metadata, as the key listing is, under the same permission.
func (m *mirror) lastOps(ctx context.Context) (map[string]jetstream.KeyValueOp, error) {
	lctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := m.kv.Watch(lctx, m.n.Config.Node+".>", jetstream.MetaOnly())
	if err != nil {
		return nil, fmt.Errorf("fleet: list keys: %w", err)
	}
	defer func() { _ = w.Stop() }()
	ops := map[string]jetstream.KeyValueOp{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("fleet: list keys: %w", errWatchClosed)
			}
			if e == nil {
				return ops, nil
			}
			ops[e.Key()] = e.Operation()
		case <-lctx.Done():
			return nil, fmt.Errorf("fleet: list keys: %w", lctx.Err())
		}
	}
}

// evidence sorts the fleet specs of this bucket that the catch-up's
// changes do not name: a key with a delete marker is deleted (the marker is
// the evidence), a live key is left to the watch, and a key the bucket has
// nothing for is absent: kept, and returned so that the node holds them.
func (m *mirror) evidence(ctx context.Context, owned []*store.FleetSpec, b *store.FleetBatch) ([]string, error) {
	named := make(map[string]bool, len(b.Changes))
	for _, c := range b.Changes {
		named[c.UID] = true
	}
	var cands []*store.FleetSpec
	for _, f := range owned {
		if f.Bucket == m.n.Config.SpecsBucket && !named[f.UID] {
			cands = append(cands, f)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	ops, err := m.lastOps(ctx)
	if err != nil {
		return nil, err
	}
	var absent []string
	for _, f := range cands {
		op, ok := ops[f.Key]
		switch {
		case !ok:
			absent = append(absent, f.UID)
		case op != jetstream.KeyValuePut:
			b.Changes = append(b.Changes, store.FleetChange{UID: f.UID, Key: f.Key, Revision: m.rev, Delete: true})
		}
	}
	return absent, nil
}

// holdAbsent keeps (or, with none absent, ends) the hold of absent specs.
// The same uids held again write nothing: no event at every reconnection.
func (m *mirror) holdAbsent(ctx context.Context, absent []string) error {
	h := m.n.Held()
	if len(absent) == 0 {
		if h != nil && h.Kind == HoldAbsent {
			return m.n.release(ctx, "every fleet spec held as absent has a key or a delete marker again")
		}
		return nil
	}
	slices.Sort(absent)
	if h != nil && h.Kind == HoldAbsent && slices.Equal(h.UIDs, absent) {
		return nil
	}
	return m.n.hold(ctx, &Hold{Kind: HoldAbsent, Bucket: m.n.Config.SpecsBucket, Created: m.st.created,
		LastSeq: max(m.st.last, uint64(m.rev)), UIDs: absent,
		Reason: fmt.Sprintf("%d fleet specs have no key in bucket %s and no delete marker (%s): kept, the other keys mirrored",
			len(absent), m.n.Config.SpecsBucket, nameUIDs(absent))})
}

// settleAbsent drops from an absent hold the uids a live batch gave a
// value or a delete marker: evidence either way.
func (m *mirror) settleAbsent(ctx context.Context, changes []store.FleetChange) error {
	h := m.n.Held()
	if h == nil || h.Kind != HoldAbsent || len(changes) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, c := range changes {
		seen[c.UID] = true
	}
	left := slices.DeleteFunc(slices.Clone(h.UIDs), func(uid string) bool { return seen[uid] })
	if len(left) == len(h.UIDs) {
		return nil
	}
	if len(left) == 0 {
		return m.n.release(ctx, "every fleet spec held as absent has a key or a delete marker again")
	}
	nh := *h
	nh.UIDs = left
	nh.Reason = fmt.Sprintf("%d fleet specs have no key in bucket %s and no delete marker (%s): kept, the other keys mirrored",
		len(left), m.n.Config.SpecsBucket, nameUIDs(left))
	return m.n.keep(ctx, &nh)
}

// nameUIDs names the first uids of a list, and how many more.
func nameUIDs(uids []string) string {
	if len(uids) <= maxHoldUIDs {
		return strings.Join(uids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(uids[:maxHoldUIDs], ", "), len(uids)-maxHoldUIDs)
}

// release ends the kept hold.
func (n *Node) release(ctx context.Context, why string) error {
	if err := n.DB.ClearFleetHold(ctx); err != nil {
		return err
	}
	n.setHeld(nil)
	n.log().Info("fleet hold released", "why", why)
	return nil
}

// keep rewrites the kept hold with no new event: the same hold, narrowed.
func (n *Node) keep(ctx context.Context, h *Hold) error {
	if h.Since.IsZero() {
		h.Since = time.Now().UTC()
	}
	v, _ := json.Marshal(h)
	if err := n.DB.SetMeta(ctx, store.MetaFleetHold, string(v)); err != nil {
		return err
	}
	n.setHeld(h)
	return nil
}

// BrakeLine is the supervisor's brake holding the removal of instances
// whose spec the fleet deleted, as `status` and /healthz print it; "" when
// it does not (store.MetaBrakeFleetHold).
func BrakeLine(ctx context.Context, db *store.DB) string {
	v, err := db.BrakeFleetHold(ctx)
	if err != nil {
		return "brake: hold of fleet removals unreadable: " + err.Error()
	}
	if v == "" {
		return ""
	}
	var h struct {
		Since  time.Time `json:"since"`
		Reason string    `json:"reason"`
	}
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return fmt.Sprintf("brake: meta %s = %q unreadable: %v", store.MetaBrakeFleetHold, v, err)
	}
	return fmt.Sprintf("brake: HELD since %s: %s", h.Since.UTC().Format("2006-01-02 15:04:05Z"), h.Reason)
}
