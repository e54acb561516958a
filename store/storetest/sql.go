package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store"
)

// These helpers read the database with plain SQL through the store's one
// connection, in a transaction of its own (BEGIN IMMEDIATE, as BeginTx
// takes it; rolled back, so it writes nothing). Only tests need them, so
// they live here rather than in the store's API.

// TotalChanges returns SQLite's total_changes() for the store's connection:
// the rows it has inserted, updated or deleted since it opened. Tests use it
// to prove that a pass changing nothing writes O(1) rows.
func TotalChanges(ctx context.Context, db *store.DB) (int64, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var v int64
	err = tx.GetContext(ctx, &v, `SELECT total_changes()`)
	return v, err
}

// specColumns and instanceColumns are the columns the store reads for a
// pass: every column of specs (one per field of spec.Spec), and these.
var specColumns = strings.Join(store.SpecColumns(), ", ")

const instanceColumns = `uid, runtime_id, state, exit_code, generation, spec_hash, attempts,
	restart_count, consecutive_failures, next_attempt_at, started_at, exited_at, last_error, updated_at`

// Floor reads every spec row and every instance record with plain queries
// into plain strings and numbers, decoding nothing, in one transaction. It
// is the yardstick a pass's read cost is benchmarked against; returns the
// row counts.
func Floor(ctx context.Context, db *store.DB) (specs, instances int, err error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+specColumns+` FROM specs`)
	if err != nil {
		return 0, 0, err
	}
	// Each column as the driver gives it: a string or a number.
	vals := make([]any, len(store.SpecColumns()))
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			_ = rows.Close()
			return 0, 0, err
		}
		specs++
	}
	if err := rows.Close(); err != nil {
		return 0, 0, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+instanceColumns+` FROM instances`)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = rows.Close() }()
	var recs []*store.Instance
	for rows.Next() {
		in := new(store.Instance)
		if err := rows.Scan(&in.UID, &in.RuntimeID, &in.State, &in.ExitCode, &in.Generation, &in.SpecHash,
			&in.Attempts, &in.RestartCount, &in.ConsecutiveFailures, &in.NextAttemptAt, &in.StartedAt,
			&in.ExitedAt, &in.LastError, &in.UpdatedAt); err != nil {
			return 0, 0, err
		}
		recs = append(recs, in)
	}
	return specs, len(recs), rows.Err()
}

// MustRecordIdlePasses writes the passes rows of passes that found nothing
// to do, one started and finished at each time in at, with the counts they
// would have had: the rows CreatePass and FinishPass write for such a pass,
// and nothing else (a pass with nothing to do writes only its row). A long
// simulation uses it to jump over those passes and keep the rows they leave.
func MustRecordIdlePasses(tb testing.TB, db *store.DB, trigger store.Trigger, observed, desired int, at []time.Time) {
	tb.Helper()
	if len(at) == 0 {
		return
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO passes (trigger, started_at, finished_at, observed, desired)
		VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatalf("record idle passes: %v", err)
	}
	defer func() { _ = stmt.Close() }()
	for _, t := range at {
		if _, err := stmt.ExecContext(ctx, trigger, store.Millis(t), store.Millis(t), observed, desired); err != nil {
			tb.Fatalf("record idle passes: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatalf("record idle passes: %v", err)
	}
}
