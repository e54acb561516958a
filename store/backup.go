package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent snapshot of the database to path with VACUUM
// INTO, which reads under one transaction and so never blocks the daemon's
// writes for long. The file must not exist; it is created 0600.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup %s: %w: file exists", path, ErrConflict)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup %s: %w", path, translate(err))
	}
	return os.Chmod(path, 0o600)
}

// Checkpoint copies the WAL into the database file and truncates it, so the
// WAL does not grow while readers come and go. A reader holding an old
// snapshot makes it partial; it is retried on the next call.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return translate(err)
}
