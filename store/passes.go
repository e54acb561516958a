package store

import (
	"context"
)

// Trigger names why a pass ran.
type Trigger string

// Triggers, as stored in passes.trigger.
const (
	TriggerStartup  Trigger = "startup"
	TriggerSchedule Trigger = "schedule"
	TriggerChange   Trigger = "change"  // another connection wrote to the database
	TriggerEvent    Trigger = "event"   // the runtime reported an instance died
	TriggerBackoff  Trigger = "backoff" // the earliest back-off deadline expired
	TriggerManual   Trigger = "manual"
)

// Pass is one row of the passes table.
type Pass struct {
	ID         int64   `db:"id"`
	Trigger    Trigger `db:"trigger"`
	StartedAt  Millis  `db:"started_at"`
	FinishedAt Millis  `db:"finished_at"`
	Observed   int     `db:"observed"`
	Desired    int     `db:"desired"`
	Actions    int     `db:"actions"`
	Failures   int     `db:"failures"`
	Error      string  `db:"error"`
	RequestID  *int64  `db:"request_id"`
}

const passColumns = `id, trigger, started_at, finished_at, observed, desired, actions, failures, error, request_id`

// CloseAbandonedPasses closes the passes an earlier process left open (it
// was killed, or its last write refused), so that pass_log never shows one
// running forever. A process calls it once, before its first pass: its own
// passes may overlap, since a pass's actions run on after the next pass
// starts, and must not be closed by it.
func (db *DB) CloseAbandonedPasses(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `UPDATE passes SET finished_at = started_at,
		error = 'did not finish: veloslet stopped or could not write'
		WHERE finished_at IS NULL`)
	return translate(err)
}

// CreatePass records the start of a pass and returns its id. requestID is
// the operator request it serves, or 0.
func (db *DB) CreatePass(ctx context.Context, trigger Trigger, requestID int64) (int64, error) {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var req any
	if requestID != 0 {
		req = requestID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO passes (trigger, started_at, request_id) VALUES (?, ?, ?)`,
		trigger, Millis(tx.now), req)
	if err != nil {
		return 0, translate(err)
	}
	id, _ := res.LastInsertId()
	if requestID != 0 {
		if err := tx.servePassRequests(ctx, id, requestID); err != nil {
			return 0, err
		}
	}
	return id, tx.Commit()
}

// FinishPass records the end of a pass: its counts and error, if any.
func (db *DB) FinishPass(ctx context.Context, p *Pass) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `UPDATE passes SET finished_at = ?, observed = ?, desired = ?, actions = ?,
		failures = ?, error = ? WHERE id = ?`,
		Millis(tx.now), p.Observed, p.Desired, p.Actions, p.Failures, p.Error, p.ID)
	if err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// FindPassByID returns one pass. Returns ErrNotFound if there is none.
func (db *DB) FindPassByID(ctx context.Context, id int64) (*Pass, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var p Pass
	if err := tx.GetContext(ctx, &p, `SELECT `+passColumns+` FROM passes WHERE id = ?`, id); err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// LastPass returns the newest pass. Returns ErrNotFound if none ran yet.
func (db *DB) LastPass(ctx context.Context) (*Pass, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT max(id) FROM passes WHERE 1 HAVING max(id) IS NOT NULL`); err != nil {
		return nil, notFound(err)
	}
	tx.Rollback()
	return db.FindPassByID(ctx, id)
}

// RecordFailedPass records a pass whose own writes were refused (the
// database was locked): with p.ID 0 it inserts the row the pass could not
// create; otherwise it closes the row the pass could not finish. p carries
// the trigger, start time, counts and error.
func (db *DB) RecordFailedPass(ctx context.Context, p *Pass) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if p.ID == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO passes (trigger, started_at, finished_at, error)
			VALUES (?, ?, ?, ?)`, p.Trigger, p.StartedAt, Millis(tx.now), p.Error)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE passes SET finished_at = ?, observed = ?, desired = ?, actions = ?,
			failures = ?, error = ? WHERE id = ?`,
			Millis(tx.now), p.Observed, p.Desired, p.Actions, p.Failures, p.Error, p.ID)
	}
	if err != nil {
		return translate(err)
	}
	return tx.Commit()
}

// LastSuccessfulPass returns the newest pass that finished without error.
// Returns ErrNotFound if none did.
func (db *DB) LastSuccessfulPass(ctx context.Context) (*Pass, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var p Pass
	err = tx.GetContext(ctx, &p, `SELECT `+passColumns+` FROM passes
		WHERE finished_at IS NOT NULL AND error = '' ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}
