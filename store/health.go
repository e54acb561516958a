package store

import (
	"context"
	"fmt"
)

// Health is one probed uid's state as the daemon last wrote it (migration
// 00014): what `status` and `describe` show and what an operator queries.
type Health struct {
	UID        string `db:"uid" json:"uid"`
	RuntimeID  string `db:"runtime_id" json:"runtime_id"`
	State      string `db:"state" json:"state"` // starting, healthy, unhealthy
	Failures   int    `db:"failures" json:"failures"`
	Retries    int    `db:"retries" json:"retries"`
	Probe      string `db:"probe" json:"probe"` // cmd, http, tcp
	LastAt     Millis `db:"last_at" json:"last_at"`
	LastOK     bool   `db:"last_ok" json:"last_ok"`
	LastMillis int64  `db:"last_ms" json:"last_ms"`
	LastOutput string `db:"last_output" json:"last_output"`
	UpdatedAt  Millis `db:"updated_at" json:"updated_at"`
}

// MaxHealthOutput bounds the probe output kept.
const MaxHealthOutput = 1024

// PutHealth writes uid's probe states; the rows of uids in drop go.
func (db *DB) PutHealth(ctx context.Context, rows []Health, drop []string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, h := range rows {
		if h.UID == "" {
			return fmt.Errorf("health: uid %q: %w: needed", h.UID, ErrInvalid)
		}
		if len(h.LastOutput) > MaxHealthOutput {
			h.LastOutput = h.LastOutput[len(h.LastOutput)-MaxHealthOutput:]
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO health (uid, runtime_id, state, failures, retries, probe,
			last_at, last_ok, last_ms, last_output, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (uid) DO UPDATE SET runtime_id = excluded.runtime_id, state = excluded.state,
			failures = excluded.failures, retries = excluded.retries, probe = excluded.probe,
			last_at = excluded.last_at, last_ok = excluded.last_ok, last_ms = excluded.last_ms,
			last_output = excluded.last_output, updated_at = excluded.updated_at`,
			h.UID, h.RuntimeID, h.State, h.Failures, h.Retries, h.Probe, h.LastAt, h.LastOK, h.LastMillis,
			h.LastOutput, Millis(tx.now))
		if err != nil {
			return fmt.Errorf("health %s: %w", h.UID, translate(err))
		}
	}
	for _, uid := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM health WHERE uid = ?`, uid); err != nil {
			return translate(err)
		}
	}
	return tx.Commit()
}

// FindHealth returns every probed uid's state, ordered by uid.
func (db *DB) FindHealth(ctx context.Context) ([]Health, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []Health
	err = tx.SelectContext(ctx, &out, `SELECT uid, runtime_id, state, failures, retries, probe, last_at,
		last_ok, last_ms, last_output, updated_at FROM health ORDER BY uid`)
	return out, translate(err)
}
