package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent snapshot of the database to path with VACUUM
// INTO, which reads under one transaction and so never blocks the daemon's
// writes for long. The file must not exist. It is created empty with mode
// 0600 first and VACUUM INTO fills it, so the snapshot is never readable by
// others, not even while it is written; its folder is created 0700.
func (db *DB) Backup(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup %s: %w: file exists", path, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		_ = os.Remove(path) // an empty or partial file is no backup
		return fmt.Errorf("backup %s: %w", path, translate(err))
	}
	return nil
}

// FileStoreID opens the database file at path read-only (no migration, no
// lock taken, nothing written) and returns the store id it holds. Backup
// rotation uses it to delete only snapshots it can prove are this store's.
func FileStoreID(ctx context.Context, path string) (string, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "query_only(1)")
	sqldb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return "", err
	}
	defer func() { _ = sqldb.Close() }()
	var id string
	if err := sqldb.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'store_id'`).Scan(&id); err != nil {
		return "", fmt.Errorf("read store id of %s: %w", path, translate(err))
	}
	return id, nil
}

// Checkpoint copies the WAL into the database file and truncates it, so the
// WAL does not grow while readers come and go. A reader holding an old
// snapshot makes it partial; it is retried on the next call.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return translate(err)
}
