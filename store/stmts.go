package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// stmts are the writes every executed action makes. Prepared once, they
// skip SQLite's parser, which is a large part of a small write's cost; a
// relaunch storm runs them thousands of times.
type stmts struct {
	putInstance *sqlx.NamedStmt
	createEvent *sql.Stmt
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	db.stmts.putInstance, err = db.db.PrepareNamedContext(ctx, `INSERT INTO instances (`+instanceColumns+`) VALUES (
		:uid, :runtime_id, :state, :exit_code, :generation, :spec_hash, :attempts, :restart_count,
		:consecutive_failures, :next_attempt_at, :started_at, :exited_at, :last_error, :updated_at)
		ON CONFLICT (uid) DO UPDATE SET runtime_id = excluded.runtime_id, state = excluded.state,
		exit_code = excluded.exit_code, generation = excluded.generation, spec_hash = excluded.spec_hash,
		attempts = excluded.attempts, restart_count = excluded.restart_count,
		consecutive_failures = excluded.consecutive_failures, next_attempt_at = excluded.next_attempt_at,
		started_at = excluded.started_at, exited_at = excluded.exited_at, last_error = excluded.last_error,
		updated_at = excluded.updated_at`)
	if err != nil {
		return translate(err)
	}
	db.stmts.createEvent, err = db.db.PrepareContext(ctx, `INSERT INTO events (at, pass_id, uid, kind, generation, exit_code, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	return translate(err)
}

func (s *stmts) close() error {
	var errs []error
	if s.putInstance != nil {
		errs = append(errs, s.putInstance.Close())
	}
	if s.createEvent != nil {
		errs = append(errs, s.createEvent.Close())
	}
	return errors.Join(errs...)
}
