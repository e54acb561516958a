package store

import "context"

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
