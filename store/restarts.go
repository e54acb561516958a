package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestRestart records an operator's request to replace the running
// instances of uids now: the next pass replaces each one that started
// before the request. Returns ErrNotFound, naming the uid, for a uid
// without a spec, and ErrInvalid for one whose instance is not a running
// one of ours; then nothing is recorded.
func (db *DB) RequestRestart(ctx context.Context, uids ...string) (time.Time, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return time.Time{}, err
	}
	defer tx.Rollback()
	for _, uid := range uids {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM specs WHERE uid = ?`, uid); err != nil {
			return time.Time{}, translate(err)
		}
		if n == 0 {
			return time.Time{}, fmt.Errorf("%w: no spec %q", ErrNotFound, uid)
		}
		// Only an instance of ours that runs can be restarted: a request
		// left for a stopped, exited or foreign one would fire later, on
		// whatever instance then runs (an adopted one, say).
		var state string
		err := tx.GetContext(ctx, &state, `SELECT state FROM instances WHERE uid = ?`, uid)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, translate(err)
		}
		if state != string(InstanceRunning) {
			return time.Time{}, fmt.Errorf("%w: %s is %s, not a running instance of ours: nothing to restart", ErrInvalid, uid, cmp.Or(state, "not launched"))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO restart_requests (uid, requested_at) VALUES (?, ?)
			ON CONFLICT (uid) DO UPDATE SET requested_at = excluded.requested_at`, uid, Millis(tx.now)); err != nil {
			return time.Time{}, translate(err)
		}
	}
	return tx.now, tx.Commit()
}

// readRestarts returns the restart requests by uid.
func readRestarts(ctx context.Context, tx *Tx) (map[string]time.Time, error) {
	var rows []struct {
		UID string `db:"uid"`
		At  Millis `db:"requested_at"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT uid, requested_at FROM restart_requests`); err != nil {
		return nil, translate(err)
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.UID] = r.At.Time()
	}
	return out, nil
}
