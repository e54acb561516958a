package store

import (
	"context"
)

// StartPull notes that uid's launch, in pass passID (0: none), is pulling
// image; status shows the uid as pulling until EndPull.
func (db *DB) StartPull(ctx context.Context, uid, image string, passID int64) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var pass any
	if passID > 0 {
		pass = passID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO pulls (uid, image, started_at, pass_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (uid) DO UPDATE SET image = excluded.image, started_at = excluded.started_at, pass_id = excluded.pass_id`,
		uid, image, Millis(tx.now), pass); err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// EndPull forgets uid's pull: its launch has ended, whatever the outcome.
func (db *DB) EndPull(ctx context.Context, uid string) error {
	return db.deletePulls(ctx, `DELETE FROM pulls WHERE uid = ?`, uid)
}

// ClearPulls forgets every pull: at start no launch of this store is in
// flight, so rows left are a killed daemon's.
func (db *DB) ClearPulls(ctx context.Context) error {
	return db.deletePulls(ctx, `DELETE FROM pulls`)
}

func (db *DB) deletePulls(ctx context.Context, q string, args ...any) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return translate(err)
	}
	return tx.Commit()
}
