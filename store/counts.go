package store

import (
	"context"
)

// InstanceCounts is what the instance records say now, for gauges: how
// many are in each state, how many crash-loop (the status view's
// crash_loop) and how many wait out a back-off that ends in a relaunch
// (the backoffs view, counting only waits not yet over).
type InstanceCounts struct {
	States       map[InstanceState]int
	CrashLooping int
	BackingOff   int
}

// CountInstances reads InstanceCounts in one read transaction. It reads
// the instances table alone (with specs and meta), never events, so its
// cost does not grow with the history.
func (db *DB) CountInstances(ctx context.Context) (*InstanceCounts, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var rows []struct {
		State InstanceState `db:"state"`
		N     int           `db:"n"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT state, count(*) AS n FROM instances GROUP BY state`); err != nil {
		return nil, translate(err)
	}
	out := &InstanceCounts{States: make(map[InstanceState]int, len(rows))}
	for _, r := range rows {
		out.States[r.State] = r.N
	}
	// As the status view counts a crash loop (00004).
	if err := tx.GetContext(ctx, &out.CrashLooping, `SELECT count(*) FROM instances
		WHERE consecutive_failures >= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'crash_loop_after'), 5)`); err != nil {
		return nil, translate(err)
	}
	// As the backoffs view selects (00004), with the store's clock for
	// "not yet over" rather than SQLite's.
	if err := tx.GetContext(ctx, &out.BackingOff, `SELECT count(*) FROM instances i JOIN specs s ON s.uid = i.uid
		WHERE i.next_attempt_at > ? AND s.desired_state = 'running'
		  AND i.uid NOT IN (SELECT uid FROM invalid_specs)
		  AND (i.state = 'pending' OR (i.state = 'exited' AND (s.restart = 'always'
		       OR (s.restart = 'on-failure' AND (i.exit_code IS NULL OR i.exit_code <> 0)))))`, Millis(tx.now)); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
