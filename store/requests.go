package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// metaPassRequest is the meta key through which the CLI asks a running
// daemon for a pass. Writing it changes data_version, which the daemon polls.
const metaPassRequest = "pass_request"

// PassRequest is an operator's request for a pass.
type PassRequest struct {
	ID    int64 `json:"id"`
	Force bool  `json:"force"` // ignore the safety brake
}

// RequestPass records a request for a pass and returns it.
func (db *DB) RequestPass(ctx context.Context, force bool) (*PassRequest, error) {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	req := &PassRequest{ID: tx.now.UnixNano(), Force: force}
	if old, err := tx.pendingRequest(ctx); err == nil && old.ID >= req.ID {
		req.ID = old.ID + 1
	}
	b, _ := json.Marshal(req)
	if err := tx.setMeta(ctx, metaPassRequest, string(b)); err != nil {
		return nil, err
	}
	return req, tx.Commit()
}

// FindPassRequest returns the latest pass request. Returns ErrNotFound if there is none.
func (db *DB) FindPassRequest(ctx context.Context) (*PassRequest, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.pendingRequest(ctx)
}

func (tx *Tx) pendingRequest(ctx context.Context) (*PassRequest, error) {
	v, err := tx.meta(ctx, metaPassRequest)
	if err != nil {
		return nil, err
	}
	var req PassRequest
	if err := json.Unmarshal([]byte(v), &req); err != nil {
		return nil, fmt.Errorf("meta %s = %q: %w", metaPassRequest, v, errors.Join(ErrInvalid, err))
	}
	return &req, nil
}
