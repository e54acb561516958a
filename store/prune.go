package store

import (
	"context"
	"fmt"
	"time"
)

// DefaultPruneBatch is how many rows one pruning transaction deletes, so the
// write lock is never held for long while the daemon records passes.
const DefaultPruneBatch = 500

// Retention says which history rows to keep.
type Retention struct {
	MaxAge  time.Duration // rows older than this go; 0 keeps all ages
	MaxRows int           // only the newest MaxRows stay; 0 keeps any number
	Batch   int           // rows per transaction; 0 means DefaultPruneBatch
}

// PruneEvents deletes old events in small batches and returns how many went.
// The kept logs of deleted events go with them, as do logs whose event was
// deleted by hand.
func (db *DB) PruneEvents(ctx context.Context, r Retention) (int, error) {
	n, err := db.prune(ctx, "events", "at", r)
	if err != nil {
		return n, err
	}
	tx, err := db.beginLog(ctx)
	if err != nil {
		return n, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM logs WHERE event_id NOT IN (SELECT id FROM events)`); err != nil {
		return n, fmt.Errorf("prune logs: %w", translate(err))
	}
	return n, tx.Commit()
}

// PrunePasses deletes old passes in small batches and returns how many went.
// The requests they served go with them, as do requests never served that
// are older than r.MaxAge (their CLI gave up long ago).
func (db *DB) PrunePasses(ctx context.Context, r Retention) (int, error) {
	n, err := db.prune(ctx, "passes", "started_at", r)
	if err != nil {
		return n, err
	}
	tx, err := db.beginLog(ctx)
	if err != nil {
		return n, err
	}
	defer tx.Rollback()
	old := int64(-1) // keeps every unserved request when ages are kept
	if r.MaxAge > 0 {
		old = tx.now.Add(-r.MaxAge).UnixMilli()
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pass_requests WHERE
		(pass_id IS NOT NULL AND pass_id NOT IN (SELECT id FROM passes))
		OR (pass_id IS NULL AND requested_at < ?)`, old); err != nil {
		return n, fmt.Errorf("prune pass requests: %w", translate(err))
	}
	return n, tx.Commit()
}

// prune deletes from table (a constant, never user input) by age and count.
func (db *DB) prune(ctx context.Context, table, timeCol string, r Retention) (int, error) {
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var cutoffID int64 // rows with id <= cutoffID go
	tx, err := db.beginRead(ctx)
	if err != nil {
		return 0, err
	}
	if r.MaxAge > 0 {
		var id *int64
		err = tx.GetContext(ctx, &id, `SELECT max(id) FROM `+table+` WHERE `+timeCol+` < ?`, Millis(tx.now.Add(-r.MaxAge)))
		if err == nil && id != nil {
			cutoffID = *id
		}
	}
	if err == nil && r.MaxRows > 0 {
		var id *int64
		err = tx.GetContext(ctx, &id, `SELECT id FROM `+table+` ORDER BY id DESC LIMIT 1 OFFSET ?`, r.MaxRows)
		err = notFound(err)
		if err == ErrNotFound {
			err = nil
		} else if err == nil && id != nil && *id > cutoffID {
			cutoffID = *id
		}
	}
	tx.Rollback()
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", table, translate(err))
	}
	total := 0
	for cutoffID > 0 {
		n, err := db.deleteBatch(ctx, table, cutoffID, batch)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		if n < batch {
			break
		}
	}
	return total, nil
}

func (db *DB) deleteBatch(ctx context.Context, table string, cutoffID int64, batch int) (int, error) {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id IN
		(SELECT id FROM `+table+` WHERE id <= ? ORDER BY id LIMIT ?)`, cutoffID, batch)
	if err != nil {
		return 0, translate(err)
	}
	n, _ := res.RowsAffected()
	if table == "events" {
		// A log lives as long as its exited event.
		if _, err := tx.ExecContext(ctx, `DELETE FROM logs WHERE event_id <= ?`, cutoffID); err != nil {
			return 0, translate(err)
		}
	}
	return int(n), tx.Commit()
}
