package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Meta keys of fleet-caused removals.
const (
	// MetaFleetRemoved holds the uids whose spec the fleet mirror deleted
	// while their instance may still run: {"<uid>": <bucket revision>}.
	// The supervisor's brake never lets go of their removal by time alone
	// (an operator's `reconcile --force` or `fleet resync --confirm` does).
	MetaFleetRemoved = "fleet_removed"
	// MetaBrakeFleetHold is the supervisor's brake holding fleet-caused
	// removals, a JSON object the supervisor writes for `status` and
	// /healthz; absent while it does not.
	MetaBrakeFleetHold = "brake_fleet_hold"
)

// FleetRemovals returns the uids whose spec the fleet deleted and whose
// removal no operator confirmed, with the bucket revision of the deletion.
func (db *DB) FleetRemovals(ctx context.Context) (map[string]int64, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.fleetRemovals(ctx)
}

func (tx *Tx) fleetRemovals(ctx context.Context) (map[string]int64, error) {
	v, err := tx.meta(ctx, MetaFleetRemoved)
	if errors.Is(err, ErrNotFound) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("meta %s = %q: %w", MetaFleetRemoved, v, errors.Join(ErrInvalid, err))
	}
	return out, nil
}

// noteFleetRemovals adds the uids a batch deleted at rev, or forgets them
// all when the operator confirmed the batch, and drops the uids that are
// done with: a spec again (applied anew) or no instance record left.
func (tx *Tx) noteFleetRemovals(ctx context.Context, deleted []string, rev int64, confirmed bool) error {
	if confirmed {
		_, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, MetaFleetRemoved)
		return translate(err)
	}
	m, err := tx.fleetRemovals(ctx)
	if err != nil {
		return err
	}
	if len(m) == 0 && len(deleted) == 0 {
		return nil
	}
	for _, uid := range deleted {
		m[uid] = rev
	}
	for _, uid := range slices.Sorted(maps.Keys(m)) {
		var spec, inst int
		err := tx.GetContext(ctx, &spec, `SELECT count(*) FROM specs WHERE uid = ?`, uid)
		if err == nil {
			err = tx.GetContext(ctx, &inst, `SELECT count(*) FROM instances WHERE uid = ?`, uid)
		}
		if err != nil {
			return translate(err)
		}
		if spec > 0 || inst == 0 {
			delete(m, uid)
		}
	}
	if len(m) == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, MetaFleetRemoved)
		return translate(err)
	}
	v, _ := json.Marshal(m)
	return tx.setMeta(ctx, MetaFleetRemoved, string(v))
}

// SetBrakeFleetHold records (value != "") or clears the supervisor's brake
// holding fleet-caused removals. It writes through the log connection: no
// table a plan reads changes.
func (db *DB) SetBrakeFleetHold(ctx context.Context, value string) error {
	if value != "" {
		return db.SetMeta(ctx, MetaBrakeFleetHold, value)
	}
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, MetaBrakeFleetHold); err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// BrakeFleetHold returns what SetBrakeFleetHold kept, "" when none.
func (db *DB) BrakeFleetHold(ctx context.Context) (string, error) {
	v, err := db.Meta(ctx, MetaBrakeFleetHold)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return v, err
}
