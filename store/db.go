// Package store owns veloslet's SQLite file: opening it with the right
// pragmas, migrating its schema, and every query. It is the only package that
// imports database/sql, sqlx or the driver; nothing here knows about the
// container runtime or the supervisor.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/veloslet/veloslet/migrations"
)

// DB is an open veloslet database.
type DB struct {
	db      *sqlx.DB
	path    string
	storeID string
	hashKey []byte
	specs   specCache
	state   stateCache
	noted   notedInvalid
	stmts   stmts
	file    os.FileInfo // the file opened, to notice it replaced under us
	of      *openFile   // this process's shared descriptor of the file

	// Now returns the current time; tests replace it. Every row one
	// transaction writes carries the time read once at its start.
	Now func() time.Time
}

// Open opens (creating if needed) the database at path, migrates it to the
// current schema and loads the store id. The parent folder is created 0700
// and the file 0600. Returns ErrCorrupt for a file that is not a database,
// ErrNewerSchema for one migrated by a newer veloslet, ErrReadOnly when the
// file cannot be written; in each case the file is left untouched.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database: path %q: %w: must be non-empty and contain no '?' or '#'", path, ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database: create folder: %w", err)
	}
	if err := createFile(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	of, err := acquireAndCheck(path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	countConns() // before the first connection, which the state cache counts
	sqldb, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		of.release()
		return nil, fmt.Errorf("open database: %w", err)
	}
	// One connection: writes are serialised by construction, and the pragmas in
	// the DSN hold for every statement.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxLifetime(0)
	sqldb.SetConnMaxIdleTime(0)

	db := &DB{db: sqlx.NewDb(sqldb, "sqlite"), path: path, of: of, Now: time.Now}
	if err := db.initLocked(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if db.file, err = of.f.Stat(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// CheckFile reports ErrFileReplaced when the path no longer names the file
// that was opened (device and inode): a daemon working on an unlinked file
// would write what nobody reads, and a CLI would create a new store whose
// specs the daemon never sees.
func (db *DB) CheckFile() error {
	fi, err := os.Stat(db.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s no longer exists", ErrFileReplaced, db.path)
	case err != nil:
		return fmt.Errorf("check database file: %w", err)
	case !os.SameFile(fi, db.file):
		return fmt.Errorf("%w: %s is now another file", ErrFileReplaced, db.path)
	}
	return nil
}

// dsn builds the connection string so that every pooled connection gets the
// same settings (pragmas set later with Exec reach only one connection).
func dsn(path string) string {
	q := url.Values{}
	// Wait up to 5 s for another connection's write lock (an operator's sqlite3
	// session, the CLI) before failing with SQLITE_BUSY.
	q.Add("_pragma", "busy_timeout(5000)")
	// WAL: readers (operators, the CLI) never block the daemon's writes, nor it theirs.
	q.Add("_pragma", "journal_mode(WAL)")
	// SQLite leaves foreign keys off unless asked, per connection.
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL is durable across process crashes in WAL mode; only a power loss
	// can drop the last commits, which the next pass re-derives from the runtime.
	q.Add("_pragma", "synchronous(NORMAL)")
	// After a checkpoint, shrink a WAL that a long reader let grow back to
	// 64 MiB, so the file does not keep its high-water mark forever.
	q.Add("_pragma", "journal_size_limit(67108864)")
	// A pass reads every spec and instance row; with SQLite's default 2 MiB
	// page cache a large store is re-read from the OS on each pass. 64 MiB
	// holds about 100,000 specs with their records; pages are allocated only
	// as they are used.
	q.Add("_pragma", "cache_size(-65536)")
	// Write transactions take the lock at BEGIN, so they wait on busy_timeout
	// there instead of failing mid-way on a lock upgrade.
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// quickCheck runs SQLite's quick_check, so that a damaged file is refused
// at start with a clear error instead of failing later in whatever query
// meets the damage first (goose, for one, reads a damaged schema as a missing
// version table). It reads every page once, at each start.
func (db *DB) quickCheck(ctx context.Context) error {
	var problems []string
	if err := db.db.SelectContext(ctx, &problems, `PRAGMA quick_check(5)`); err != nil {
		return translate(err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("%w: quick_check: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// initLocked runs init under a file lock beside the database, so that
// processes opening one file at once set it up one after the other. goose
// reads the version outside the migration's transaction, so two processes
// opening a new file at once (serve and apply) would both run migration 1;
// and while one runs the migrations, a long write, another's first
// statements on a file not yet in WAL mode could wait past the busy timeout
// (seen with 8 opens at once on a loaded machine). A store opened on a
// file set up already holds the lock for a few statements.
func (db *DB) initLocked(ctx context.Context) error {
	l := flock.New(db.path+".migrate-lock", flock.SetPermissions(0o600))
	if err := l.Lock(); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer func() { _ = l.Unlock() }()
	return db.init(ctx)
}

func (db *DB) init(ctx context.Context) error {
	var mode string
	if err := db.db.GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil {
		return translate(err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if err := db.quickCheck(ctx); err != nil {
		return err
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	if err := db.loadMeta(ctx); err != nil {
		return err
	}
	return db.prepare(ctx)
}

// provider returns a goose Provider over the embedded migrations. It is never
// closed: Provider.Close would close our database.
func (db *DB) provider() (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectSQLite3, db.db.DB, migrations.FS)
}

func (db *DB) migrate(ctx context.Context) error {
	defer db.state.gen.Add(1) // goose commits on its own
	p, err := db.provider()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", translate(err))
	}
	sources := p.ListSources()
	latest := sources[len(sources)-1].Version
	if current > latest {
		return fmt.Errorf("%w: file is at version %d, this build knows up to %d", ErrNewerSchema, current, latest)
	}
	if current == latest {
		return nil
	}
	// Open holds the file lock (initLocked): another process finds
	// nothing to do.
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", translate(err))
	}
	return nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrationStatus lists every known migration.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := db.provider()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, s := range st {
		out = append(out, MigrationStatus{
			Version:   s.Source.Version,
			Name:      filepath.Base(s.Source.Path),
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// loadMeta reads the store id and hash key, creating them once.
func (db *DB) loadMeta(ctx context.Context) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, m := range []struct {
		key  string
		size int
		dst  *string
	}{{"store_id", 8, &db.storeID}, {"hash_key", 32, nil}} {
		v, err := tx.meta(ctx, m.key)
		if errors.Is(err, ErrNotFound) {
			v = randomHex(m.size)
			err = tx.setMeta(ctx, m.key, v)
		}
		if err != nil {
			return err
		}
		if m.dst != nil {
			*m.dst = v
		} else {
			db.hashKey = []byte(v)
		}
	}
	return tx.Commit()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// Close closes the database. In WAL mode the last connection to close
// checkpoints and removes the -wal and -shm files.
func (db *DB) Close() error {
	err := errors.Join(db.stmts.close(), db.db.Close())
	if db.of != nil {
		db.of.release()
		db.of = nil
	}
	return err
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// StoreID returns this store's random id, carried by every instance it launches.
func (db *DB) StoreID() string { return db.storeID }

// SetMeta writes a meta key, for facts the daemon publishes to operators
// (such as the crash-loop threshold the status view reads).
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if old, err := tx.meta(ctx, key); err == nil && old == value {
		return nil // keep an unchanged restart from writing
	}
	if err := tx.setMeta(ctx, key, value); err != nil {
		return err
	}
	return tx.Commit()
}

// DataVersion returns SQLite's data_version for this connection; it changes
// when another connection commits. The scheduler polls it to notice outside writes.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.db.GetContext(ctx, &v, `PRAGMA data_version`)
	return v, translate(err)
}
