package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// Kinds of Hold: why the mirror stopped.
const (
	HoldMissing  = "missing"  // the specs bucket is gone
	HoldIdentity = "identity" // the specs bucket is another one than the one mirrored
	HoldBrake    = "brake"    // a catch-up would delete too many fleet specs
)

// Hold is why a node stopped mirroring, or (HoldAbsent) which fleet specs
// it keeps while it mirrors the rest. Absence is never evidence: while a
// hold is kept no spec is deleted by absence, and only `veloslet fleet
// resync --node N --confirm` (or the same bucket, or the keys, coming back)
// ends it.
type Hold struct {
	Kind   string    `json:"kind"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	Bucket string    `json:"bucket"`
	// Created is the identity (creation time, Unix ns) of the bucket the
	// hold was set against; 0 when it was missing.
	Created int64 `json:"bucket_created,omitempty"`
	// LastSeq is the bucket's last revision when the hold was set: a
	// confirmation for the same bucket must be written after it.
	LastSeq uint64 `json:"last_seq,omitempty"`
	// UIDs are the fleet specs an absent hold keeps (HoldAbsent).
	UIDs []string `json:"uids,omitempty"`
}

// Line is the hold as `status` and /healthz print it.
func (h *Hold) Line(node string) string {
	return fmt.Sprintf("fleet: HELD since %s: %s; nothing is deleted until `veloslet fleet resync --node %s --confirm`",
		h.Since.UTC().Format("2006-01-02 15:04:05Z"), h.Reason, node)
}

// ReadHold reads the kept hold; nil when the mirror is not held.
func ReadHold(ctx context.Context, db *store.DB) (*Hold, error) {
	v, err := db.FleetHold(ctx)
	if err != nil || v == "" {
		return nil, err
	}
	var h Hold
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return nil, fmt.Errorf("meta %s = %q: %w", store.MetaFleetHold, v, err)
	}
	return &h, nil
}

// Confirm is what `fleet resync --confirm` writes to the node's own key of
// the specs bucket (the node name alone): resync with this bucket.
type Confirm struct {
	Node          string `json:"node"`
	BucketCreated int64  `json:"bucket_created"`
	At            string `json:"at"`
}

// specsState is one look at the specs bucket.
type specsState struct {
	kv      jetstream.KeyValue // nil: the bucket is missing
	created int64              // its identity: the stream's creation time
	last    uint64             // its last revision
}

func (s specsState) same(o specsState) bool {
	return (s.kv == nil) == (o.kv == nil) && s.created == o.created
}

// lookSpecs opens the specs bucket (creating it only when the config says
// so) and reads its identity.
func (n *Node) lookSpecs(ctx context.Context, js jetstream.JetStream) (specsState, error) {
	kv, err := openKV(ctx, js, SpecsBucketConfig(n.Config.SpecsBucket, 1), n.Config.CreateBuckets)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return specsState{}, nil
	}
	if err != nil {
		return specsState{}, err
	}
	sctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	st, err := kv.Status(sctx)
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) {
		return specsState{}, nil // deleted between the two calls
	}
	if err != nil {
		return specsState{}, fmt.Errorf("fleet: bucket %s: %w", n.Config.SpecsBucket, err)
	}
	s := specsState{kv: kv}
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok {
		s.created, s.last = bs.StreamInfo().Created.UnixNano(), bs.StreamInfo().State.LastSeq
	}
	return s, nil
}

// source names the revisions of this bucket identity for this node: a
// revision is meaningless in another bucket, node or bucket creation.
func (n *Node) source(s specsState) string {
	return fmt.Sprintf("%s/%s/%d", n.Config.SpecsBucket, n.Config.Node, s.created)
}

// mode is what a session does with the specs bucket.
type mode int

const (
	modeWait   mode = iota // no bucket and nothing ever mirrored: nothing to keep
	modeHeld               // a hold is kept: report only
	modeMirror             // mirror, the catch-up braked
	modeResync             // mirror every key once, as the operator confirmed
)

// plan decides the session's mode from the bucket, the store's position and
// the kept hold, setting or clearing the hold.
func (n *Node) plan(ctx context.Context, s specsState) (mode, error) {
	h, err := ReadHold(ctx, n.DB)
	if err != nil {
		return modeHeld, err
	}
	src, _, err := n.DB.FleetPosition(ctx)
	if err != nil {
		return modeHeld, err
	}
	owned, err := n.DB.FindFleetSpecs(ctx)
	if err != nil {
		return modeHeld, err
	}
	n.setHeld(h)
	bucket := n.Config.SpecsBucket
	switch {
	case s.kv == nil && src == "" && len(owned) == 0 && h == nil:
		return modeWait, nil
	case s.kv == nil:
		if h != nil && h.Kind == HoldMissing {
			return modeHeld, nil
		}
		return modeHeld, n.hold(ctx, &Hold{Kind: HoldMissing, Bucket: bucket,
			Reason: fmt.Sprintf("specs bucket %s is missing (%d fleet specs kept)", bucket, len(owned))})
	}
	cur := n.source(s)
	if src != cur && (src != "" || len(owned) > 0) {
		// Another bucket than the one mirrored: an operator who made it
		// anew on purpose confirms; any confirmation naming it will do.
		if c, _, err := n.confirmation(ctx, s); err != nil || (c != nil && c.BucketCreated == s.created) {
			return modeResync, err
		}
		if h != nil && h.Kind == HoldIdentity && h.Created == s.created {
			return modeHeld, nil
		}
		return modeHeld, n.hold(ctx, &Hold{Kind: HoldIdentity, Bucket: bucket, Created: s.created, LastSeq: s.last,
			Reason: fmt.Sprintf("specs bucket %s is not the one mirrored (created %s, mirrored %q); %d fleet specs kept",
				bucket, time.Unix(0, s.created).UTC().Format(time.RFC3339), src, len(owned))})
	}
	switch {
	case h == nil || h.Kind == HoldAbsent:
		// Mirroring goes on; a confirmation written since makes this
		// session the confirmed resync.
		if ok, err := n.confirmedSince(ctx, s, h); ok {
			return modeResync, nil
		} else if err != nil {
			n.log().Warn("fleet: read the resync confirmation", "error", err)
		}
		return modeMirror, nil
	case h.Kind != HoldBrake:
		// The bucket mirrored before is back, whole: nothing to confirm.
		n.log().Info("fleet: the mirrored specs bucket is back; hold released", "bucket", bucket)
		if err := n.DB.ClearFleetHold(ctx); err != nil {
			return modeHeld, err
		}
		n.setHeld(nil)
		return modeMirror, nil
	}
	c, rev, err := n.confirmation(ctx, s)
	if err == nil && c != nil && c.BucketCreated == s.created && rev > h.LastSeq {
		return modeResync, nil
	}
	return modeHeld, err
}

// confirmedSince reports whether the node's confirmation names this bucket
// and was written after what waits for one while the mirror runs: an absent
// hold, or the fleet's deletions whose removal the supervisor's brake holds
// (store.MetaFleetRemoved). False when nothing waits.
func (n *Node) confirmedSince(ctx context.Context, s specsState, h *Hold) (bool, error) {
	var after uint64
	waits := h != nil && h.Kind == HoldAbsent
	if waits {
		after = h.LastSeq
	}
	removed, err := n.DB.FleetRemovals(ctx)
	if err != nil {
		return false, err
	}
	for _, rev := range removed {
		waits, after = true, max(after, uint64(rev))
	}
	if !waits {
		return false, nil
	}
	c, rev, err := n.confirmation(ctx, s)
	return err == nil && c != nil && c.BucketCreated == s.created && rev > after, err
}

// confirmation reads the node's confirmation key; nil when there is none
// or it is unreadable.
func (n *Node) confirmation(ctx context.Context, s specsState) (*Confirm, uint64, error) {
	gctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	e, err := s.kv.Get(gctx, n.Config.Node)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("fleet: read key %s: %w", n.Config.Node, err)
	}
	var c Confirm
	if json.Unmarshal(e.Value(), &c) != nil || c.Node != n.Config.Node {
		return nil, 0, nil
	}
	return &c, e.Revision(), nil
}

// hold keeps h with its event, and says so in the daemon's log.
func (n *Node) hold(ctx context.Context, h *Hold) error {
	h.Since = time.Now().UTC()
	v, _ := json.Marshal(h)
	if err := n.DB.SetFleetHold(ctx, string(v), "fleet mirror held: "+h.Reason); err != nil {
		return err
	}
	n.setHeld(h)
	n.log().Warn("fleet mirror held; every spec and instance is kept", "reason", h.Reason,
		"resume", "veloslet fleet resync --node "+n.Config.Node+" --confirm")
	return nil
}

func (n *Node) setHeld(h *Hold) {
	n.mu.Lock()
	n.held = h
	n.mu.Unlock()
}

// Held returns the hold the node keeps, nil when it mirrors.
func (n *Node) Held() *Hold {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.held
}
