package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrOlderSchema is returned by OpenReadOnly for a file that a writing verb
// or the daemon has yet to migrate: reading it could meet missing tables.
var ErrOlderSchema = errors.New("database schema is older than this veloslet")

// OpenReadOnly opens an existing database for reading only: no migration,
// no store id created, no write lock taken or waited for, and reads in
// deferred transactions, so it answers while another process holds the write
// lock (a long apply, an operator's sqlite3 session). A file at another
// schema version is refused with ErrNewerSchema or ErrOlderSchema. Writing
// through the returned DB fails.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database: path %q: %w: must be non-empty and contain no '?' or '#'", path, ErrInvalid)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	of, err := acquireAndCheck(path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqldb, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		of.release()
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqldb.SetMaxOpenConns(1)
	db := &DB{db: sqlx.NewDb(sqldb, "sqlite"), path: path, Now: time.Now, file: fi, of: of}
	if err := db.initReadOnly(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "query_only(1)")
	// No _txlock: a read transaction is deferred and never asks for the
	// write lock.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func (db *DB) initReadOnly(ctx context.Context) error {
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		// A damaged schema reads as a missing version table; quick_check
		// says what is wrong. It reads every page, so only when needed:
		// damage elsewhere shows as SQLITE_CORRUPT in the query that meets it.
		if qerr := db.quickCheck(ctx); qerr != nil {
			return qerr
		}
		return fmt.Errorf("read schema version: %w", translate(err))
	}
	sources := p.ListSources()
	switch latest := sources[len(sources)-1].Version; {
	case current > latest:
		return fmt.Errorf("%w: file is at version %d, this build knows up to %d", ErrNewerSchema, current, latest)
	case current < latest:
		return fmt.Errorf("%w: file is at version %d, this build reads %d; `veloslet migrate up` (or any writing verb, or serve) migrates it",
			ErrOlderSchema, current, latest)
	}
	tx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.storeID, err = tx.meta(ctx, "store_id"); err != nil {
		return fmt.Errorf("read store id: %w", err)
	}
	key, err := tx.meta(ctx, "hash_key")
	if err != nil {
		return fmt.Errorf("read hash key: %w", err)
	}
	db.hashKey = []byte(key)
	return nil
}
