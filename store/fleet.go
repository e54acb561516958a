package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Meta keys the fleet mirror keeps.
const (
	// MetaFleetRevision is the last bucket revision mirrored into the store.
	MetaFleetRevision = "fleet_revision"
	// MetaFleetSource is "<bucket>/<node>/<bucket creation>" of that
	// revision: another bucket, node or bucket creation makes it meaningless.
	MetaFleetSource = "fleet_source"
	// MetaFleetState is the daemon's connection to the fleet, for `status`.
	MetaFleetState = "fleet_state"
	// MetaFleetEventsSent is the id of the last event the events stream acknowledged.
	MetaFleetEventsSent = "fleet_events_sent"
)

// ErrFleetOwned is wrapped by the error refusing a local change to a spec
// that a fleet owns.
var ErrFleetOwned = errors.New("owned by the fleet")

// FleetOwnedError names the uid and the key that owns it. It wraps
// ErrFleetOwned and ErrInvalid (the caller's mistake).
type FleetOwnedError struct {
	UID, Bucket, Key string
}

func (e *FleetOwnedError) Error() string {
	return fmt.Sprintf("spec %q: %v (key %s in bucket %s); change it with `veloslet fleet apply` or `veloslet fleet delete`",
		e.UID, ErrFleetOwned, e.Key, e.Bucket)
}

// Unwrap returns ErrFleetOwned and ErrInvalid.
func (e *FleetOwnedError) Unwrap() []error { return []error{ErrFleetOwned, ErrInvalid} }

// FleetSpec is a fleet_specs row.
type FleetSpec struct {
	UID      string `db:"uid" json:"uid"`
	Bucket   string `db:"bucket" json:"bucket"`
	Key      string `db:"key" json:"key"`
	Revision int64  `db:"revision" json:"revision"`
	Refused  string `db:"refused" json:"refused,omitempty"`
}

// FleetChange is one bucket entry for this node's key of uid.
type FleetChange struct {
	UID      string
	Key      string
	Revision int64
	Delete   bool   // the key was deleted or purged
	Spec     *Spec  // the value; nil for a delete or a refused value
	Refused  string // why the value cannot be applied; "" when Spec is set
}

// FleetBatch is what one transaction mirrors.
type FleetBatch struct {
	Bucket   string
	Source   string // kept in meta with Revision
	Revision int64  // the revision the store is at once the batch is in
	Changes  []FleetChange
	// Full says Changes hold every key of the node: a fleet-owned uid
	// missing from them was deleted while the mirror did not look.
	Full bool
	// ClearHold removes the mirror's hold with the batch: the resync an
	// operator confirmed is in.
	ClearHold bool
	// BadKeys are keys in the node's key space that break NATS's key rules
	// (a raw publish can store one): each gets an invalid event, nothing else.
	BadKeys []string
}

// FleetResult counts what a batch did.
type FleetResult struct {
	Created, Updated, Deleted, Refused, Unchanged int

	deleted []string // the uids whose spec the batch deleted
}

// Changed reports whether the batch changed the desired state.
func (r FleetResult) Changed() bool { return r.Created+r.Updated+r.Deleted > 0 }

// ApplyFleetBatch mirrors bucket entries in one transaction: all or nothing.
// A value is validated as `apply` does; a bad one is refused (an invalid
// event, the refusal kept on the uid's fleet_specs row) and the spec keeps
// its last good value. An entry no newer than the revision already mirrored
// for its key writes nothing, so that a resync after a gap compares instead
// of rewriting.
func (db *DB) ApplyFleetBatch(ctx context.Context, b FleetBatch) (FleetResult, error) {
	var res FleetResult
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	owned, err := tx.fleetSpecs(ctx)
	if err != nil {
		return res, err
	}
	// Revisions compare only within one source: a bucket made anew starts
	// them over, and then the values are compared instead.
	src, err := tx.meta(ctx, MetaFleetSource)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return res, err
	}
	seen := make(map[string]bool, len(b.Changes))
	for _, c := range b.Changes {
		seen[c.UID] = true
		old, ok := owned[c.UID]
		if ok && src == b.Source && old.Revision >= c.Revision && !c.Delete {
			res.Unchanged++
			continue
		}
		if err := tx.applyFleetChange(ctx, b.Bucket, c, ok, &res); err != nil {
			return res, err
		}
		if c.Delete {
			delete(owned, c.UID)
		} else {
			owned[c.UID] = &FleetSpec{UID: c.UID, Revision: c.Revision}
		}
	}
	if b.Full {
		for _, uid := range slices.Sorted(maps.Keys(owned)) {
			if !seen[uid] {
				if err := tx.deleteFleetSpec(ctx, uid, "key gone from bucket "+b.Bucket, &res); err != nil {
					return res, err
				}
			}
		}
	}
	for _, k := range b.BadKeys {
		res.Refused++
		if err := tx.createEvent(ctx, &Event{Kind: EventInvalid, Reason: "fleet key " + k + " refused: not a valid key"}); err != nil {
			return res, err
		}
	}
	if b.ClearHold {
		if err := tx.clearFleetHold(ctx); err != nil {
			return res, err
		}
	}
	// Kept with the deletions, so that the brake knows them for the
	// fleet's whatever happens next (fleetremoved.go).
	if err := tx.noteFleetRemovals(ctx, res.deleted, b.Revision, b.ClearHold); err != nil {
		return res, err
	}
	if err := tx.setMeta(ctx, MetaFleetRevision, strconv.FormatInt(b.Revision, 10)); err != nil {
		return res, err
	}
	if err := tx.setMeta(ctx, MetaFleetSource, b.Source); err != nil {
		return res, err
	}
	return res, tx.Commit()
}

func (tx *Tx) applyFleetChange(ctx context.Context, bucket string, c FleetChange, owned bool, res *FleetResult) error {
	if c.Delete {
		if !owned {
			return nil // a delete marker for a key never mirrored, or a locally owned uid
		}
		return tx.deleteFleetSpec(ctx, c.UID, "key "+c.Key+" deleted in bucket "+bucket, res)
	}
	refused := c.Refused
	if refused == "" && c.Spec != nil {
		c.Spec.Normalize()
		if err := c.Spec.Validate(); err != nil {
			refused = err.Error()
		} else if c.Spec.UID != c.UID {
			refused = fmt.Sprintf("uid %q in the value differs from the key's uid %q", c.Spec.UID, c.UID)
		}
	}
	if refused == "" && c.Spec == nil {
		refused = "no value"
	}
	if refused != "" {
		res.Refused++
		ev := &Event{UID: c.UID, Kind: EventInvalid,
			Reason: fmt.Sprintf("fleet key %s revision %d refused: %s", c.Key, c.Revision, refused)}
		if err := tx.createEvent(ctx, ev); err != nil {
			return err
		}
	} else {
		r, err := tx.upsertSpec(ctx, c.Spec)
		if err != nil {
			return err
		}
		switch r.Outcome {
		case Created:
			res.Created++
		case Updated:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO fleet_specs (uid, bucket, key, revision, refused) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (uid) DO UPDATE SET bucket = excluded.bucket, key = excluded.key,
		revision = excluded.revision, refused = excluded.refused`, c.UID, bucket, c.Key, c.Revision, refused)
	return translate(err)
}

func (tx *Tx) deleteFleetSpec(ctx context.Context, uid, why string, res *FleetResult) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM fleet_specs WHERE uid = ?`, uid); err != nil {
		return translate(err)
	}
	r, err := tx.ExecContext(ctx, `DELETE FROM specs WHERE uid = ?`, uid)
	if err != nil {
		return translate(err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil // only a refused value was ever mirrored
	}
	res.Deleted++
	res.deleted = append(res.deleted, uid)
	return tx.createEvent(ctx, &Event{UID: uid, Kind: EventSpecDeleted, Reason: why})
}

func (tx *Tx) fleetSpecs(ctx context.Context) (map[string]*FleetSpec, error) {
	var rows []*FleetSpec
	if err := tx.SelectContext(ctx, &rows, `SELECT uid, bucket, key, revision, refused FROM fleet_specs`); err != nil {
		return nil, translate(err)
	}
	out := make(map[string]*FleetSpec, len(rows))
	for _, r := range rows {
		out[r.UID] = r
	}
	return out, nil
}

// FindFleetSpecs returns the fleet-owned uids, ordered by uid.
func (db *DB) FindFleetSpecs(ctx context.Context) ([]*FleetSpec, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var rows []*FleetSpec
	err = tx.SelectContext(ctx, &rows, `SELECT uid, bucket, key, revision, refused FROM fleet_specs ORDER BY uid`)
	return rows, translate(err)
}

// FleetPosition returns the mirrored revision and its source ("", 0 when
// nothing was mirrored yet).
func (db *DB) FleetPosition(ctx context.Context) (source string, revision int64, err error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return "", 0, err
	}
	defer tx.Rollback()
	rev, err := tx.meta(ctx, MetaFleetRevision)
	if errors.Is(err, ErrNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	if revision, err = strconv.ParseInt(rev, 10, 64); err != nil {
		return "", 0, fmt.Errorf("meta %s = %q: %w", MetaFleetRevision, rev, errors.Join(ErrInvalid, err))
	}
	source, err = tx.meta(ctx, MetaFleetSource)
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	return source, revision, err
}

// Meta reads a meta key; ErrNotFound when it is not set.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	return tx.meta(ctx, key)
}

// refuseFleetOwned returns a *FleetOwnedError for the first uid a fleet owns.
func (tx *Tx) refuseFleetOwned(ctx context.Context, uids ...string) error {
	for _, uid := range uids {
		var f FleetSpec
		err := tx.GetContext(ctx, &f, `SELECT uid, bucket, key, revision, refused FROM fleet_specs WHERE uid = ?`, uid)
		if err == nil {
			return &FleetOwnedError{UID: uid, Bucket: f.Bucket, Key: f.Key}
		}
		if err := notFound(err); !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// FindEventsAfter returns up to limit events with an id above afterID,
// oldest first: the next ones to send.
func (db *DB) FindEventsAfter(ctx context.Context, afterID int64, limit int) ([]*Event, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []*Event
	err = tx.SelectContext(ctx, &out, `SELECT id, at, pass_id, uid, kind, coalesce(generation, 0) AS generation,
		exit_code, reason FROM events WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	return out, translate(err)
}
