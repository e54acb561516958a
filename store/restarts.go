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
// before the request. A finished instance whose exit the restart policy
// accepted (never; on-failure with code 0) is run again, whether it is still
// listed or was removed. Returns ErrNotFound, naming the uid, for a uid
// without a spec, and ErrInvalid for one whose instance is neither; then
// nothing is recorded.
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
		var rec struct {
			State    string `db:"state"`
			Accepted bool   `db:"accepted"`
		}
		err := tx.GetContext(ctx, &rec, `SELECT i.state, i.state = 'exited' AND (s.restart = 'never'
			OR s.restart = 'on-failure' AND i.exit_code = 0) AS accepted
			FROM instances i JOIN specs s ON s.uid = i.uid WHERE i.uid = ?`, uid)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, translate(err)
		}
		if rec.State != string(InstanceRunning) && !rec.Accepted {
			return time.Time{}, fmt.Errorf("%w: %s is %s, not a running instance of ours nor a finished one its restart policy left: nothing to restart",
				ErrInvalid, uid, cmp.Or(rec.State, "not launched"))
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
