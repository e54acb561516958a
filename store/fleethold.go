package store

import (
	"context"
	"errors"
)

// MetaFleetHold is the fleet mirror's hold, a JSON object the fleet package
// defines; absent while the mirror runs. It lives in the store so that a
// restart does not forget why mirroring stopped.
const MetaFleetHold = "fleet_hold"

// SetFleetHold records the fleet mirror's hold and, with it, a brake_held
// event carrying reason: one transaction, so that the hold is never kept
// without its event nor told without being kept.
func (db *DB) SetFleetHold(ctx context.Context, value, reason string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.setMeta(ctx, MetaFleetHold, value); err != nil {
		return err
	}
	if err := tx.createEvent(ctx, &Event{Kind: EventBrakeHeld, Reason: reason}); err != nil {
		return err
	}
	return tx.Commit()
}

// ClearFleetHold removes the hold (nothing when none is kept).
func (db *DB) ClearFleetHold(ctx context.Context) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.clearFleetHold(ctx); err != nil {
		return err
	}
	return tx.Commit()
}

func (tx *Tx) clearFleetHold(ctx context.Context) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = ?`, MetaFleetHold)
	return translate(err)
}

// FleetHold returns the kept hold, "" when none.
func (db *DB) FleetHold(ctx context.Context) (string, error) {
	v, err := db.Meta(ctx, MetaFleetHold)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return v, err
}
