package store

import (
	"context"
	"fmt"
)

// PassRequest is an operator's request for a pass: one row of pass_requests.
type PassRequest struct {
	ID    int64 `json:"id" db:"id"`
	Force bool  `json:"force" db:"force"` // ignore the safety brake
}

// RequestPass records a request for a pass, as its own row, and returns it.
// Writing it changes data_version, which the daemon polls.
func (db *DB) RequestPass(ctx context.Context, force bool) (*PassRequest, error) {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO pass_requests (force, requested_at) VALUES (?, ?)`, force, Millis(tx.now))
	if err != nil {
		return nil, fmt.Errorf("record pass request: %w", translate(err))
	}
	id, _ := res.LastInsertId()
	return &PassRequest{ID: id, Force: force}, tx.Commit()
}

// FindPassRequest returns the newest pass request. Returns ErrNotFound if
// there is none.
func (db *DB) FindPassRequest(ctx context.Context) (*PassRequest, error) {
	return db.FindPassRequestAfter(ctx, 0)
}

// FindPassRequestAfter returns the requests made after the one with id
// after, coalesced into one: the newest id, forced if any of them asked for
// force. The daemon reads it when the database changes; requests that came
// within one watch interval are served by one pass, and none loses its
// flag. Returns ErrNotFound if there is none.
func (db *DB) FindPassRequestAfter(ctx context.Context, after int64) (*PassRequest, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var req PassRequest
	if err := tx.GetContext(ctx, &req, `SELECT max(id) AS id, max(force) AS force FROM pass_requests
		WHERE id > ? HAVING count(*) > 0`, after); err != nil {
		return nil, notFound(err)
	}
	return &req, nil
}

// servePassRequests records that pass serves every request up to
// requestID not yet served, so that each request's CLI finds its own pass.
func (tx *Tx) servePassRequests(ctx context.Context, passID, requestID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE pass_requests SET pass_id = ? WHERE id <= ? AND pass_id IS NULL`, passID, requestID)
	return translate(err)
}

// FindPassByRequest returns the pass that served the operator request with
// exactly this id. Returns ErrNotFound if no pass has taken it up yet.
func (db *DB) FindPassByRequest(ctx context.Context, requestID int64) (*Pass, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var p Pass
	if err := tx.GetContext(ctx, &p, `SELECT `+passColumns+` FROM passes
		WHERE id = (SELECT pass_id FROM pass_requests WHERE id = ?)`, requestID); err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}
