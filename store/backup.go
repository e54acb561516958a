package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
)

// Backup writes a consistent snapshot of the database to path. The file must
// not exist: it is created once, 0600, with O_EXCL and O_NOFOLLOW, and only
// ever written through that descriptor, never re-opened by its name, so a
// file or symlink planted at the name, or swapped in during the backup, gets
// nothing. VACUUM INTO (one read transaction: the daemon's writes go on)
// writes into a private 0700 folder beside the database, whose contents are
// then copied through the descriptor; the folder is removed after. The
// backup's own folder is created 0700 if missing.
func (db *DB) Backup(ctx context.Context, path string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup %s: %w: file exists (or is a symlink)", path, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			removeIfSame(path, f) // an empty or partial file is no backup
		}
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("backup %s: %w", path, cerr)
		}
	}()
	if backupCreated != nil {
		backupCreated(path)
	}
	tmp, err := db.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer func() { _ = os.RemoveAll(filepath.Dir(tmp)) }()
	src, err := os.OpenFile(tmp, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer func() { _ = src.Close() }()
	if _, err := io.Copy(f, src); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	// Written, but by then the name may say something else: say so rather
	// than report a backup at a name that is not it.
	ours, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if now, err := os.Lstat(path); err != nil || !os.SameFile(ours, now) {
		return fmt.Errorf("backup %s: %w: the file was removed or replaced while it was written", path, ErrConflict)
	}
	return nil
}

// backupCreated, when set (by tests), runs once the backup file is created:
// where an attacker would swap it.
var backupCreated func(path string)

// snapshot runs VACUUM INTO a new private folder beside the database (as
// private as the database itself; the system's temporary folder when that
// one cannot be written) and returns the snapshot's path.
func (db *DB) snapshot(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp(filepath.Dir(db.path), ".veloslet-backup-")
	if err != nil {
		if dir, err = os.MkdirTemp("", "veloslet-backup-"); err != nil {
			return "", err
		}
	}
	tmp := filepath.Join(dir, "snapshot.db")
	if _, err := db.db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		_ = os.RemoveAll(dir)
		return "", translate(err)
	}
	return tmp, nil
}

// removeIfSame removes path only while it still names the file f is open
// on: whatever else was put there since is not ours to delete.
func removeIfSame(path string, f *os.File) {
	ours, err := f.Stat()
	if err != nil {
		return
	}
	if now, err := os.Lstat(path); err == nil && os.SameFile(ours, now) {
		_ = os.Remove(path)
	}
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

// CheckpointTruncate copies the WAL into the database file and truncates
// it, waiting up to the busy timeout for readers and blocking writers
// meanwhile, and says what it achieved. The daemon's periodic checkpoint is
// CheckpointPassive.
func (db *DB) CheckpointTruncate(ctx context.Context) (CheckpointResult, error) {
	// TRUNCATE reports 0 frames once it has emptied the WAL: a PASSIVE step
	// first counts what there was.
	before, err := db.checkpoint(ctx, "PASSIVE")
	if err != nil {
		return before, err
	}
	res, err := db.checkpoint(ctx, "TRUNCATE")
	if err != nil || res.Busy {
		return res, err
	}
	return CheckpointResult{WALFrames: before.WALFrames, Checkpointed: before.WALFrames}, nil
}

// CheckpointResult is what a checkpoint achieved.
type CheckpointResult struct {
	Busy         bool // a reader or writer stopped it short
	WALFrames    int  // frames in the WAL
	Checkpointed int  // frames copied into the database file
}

// Complete says whether every frame of the WAL reached the database file.
func (r CheckpointResult) Complete() bool { return !r.Busy && r.Checkpointed == r.WALFrames }

// CheckpointPassive copies as much of the WAL into the database file as no
// reader needs, without taking the write lock or waiting for anyone: a
// replication tool's long read (litestream holds one at all times) can never
// make the daemon's writes wait on it. The WAL is not truncated; SQLite
// rewinds it at the next write once it is all copied, and journal_size_limit
// trims it then.
func (db *DB) CheckpointPassive(ctx context.Context) (CheckpointResult, error) {
	return db.checkpoint(ctx, "PASSIVE")
}

func (db *DB) checkpoint(ctx context.Context, mode string) (CheckpointResult, error) {
	var busy, log, done int
	err := db.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &log, &done)
	if err != nil {
		return CheckpointResult{}, translate(err)
	}
	return CheckpointResult{Busy: busy != 0, WALFrames: log, Checkpointed: done}, nil
}
