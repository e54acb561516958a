// Package storetest holds test helpers shared by the packages that test
// against a real store: a migrated database in a temp dir, a settable clock,
// polling with a deadline, and (through internal/testtool) the rule for tests
// that need an outside tool.
package storetest

import (
	"context"
	"database/sql"
	"flag"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/migrations"
	"github.com/veloslet/veloslet/store"
)

var dump = flag.Bool("dump", false, "keep test databases and print their paths")

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to a fixed time.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpenDB opens a migrated database file under a temp dir (a file, not
// :memory:, so WAL and the real DSN are exercised) and closes it at cleanup.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	dir := tb.TempDir()
	if *dump {
		var err error
		if dir, err = os.MkdirTemp("", "veloslet-test-"); err != nil {
			tb.Fatal(err)
		}
	}
	path := dir + "/veloslet.db"
	MustSeedMigrated(tb, path)
	return MustOpenDBAt(tb, path)
}

// MustSeedMigrated writes at path (which must not exist) a database file
// already migrated, without an identity: store.Open then finds nothing to
// migrate and gives it a store id and hash key of its own. See template.
func MustSeedMigrated(tb testing.TB, path string) {
	tb.Helper()
	data, err := migrated()
	if err != nil {
		tb.Fatalf("migrated template: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// template holds a database file migrated once per test process, without
// its identity. Migrating a new file costs about 50 ms, and many times that
// under the race detector (the SQLite driver is Go translated from C), and
// most tests begin with a new database; a copy of the template opens with
// nothing to migrate. Open then gives the copy an identity of its own
// (store id, hash key), as for a new file.
var template struct {
	once sync.Once
	data []byte
	err  error
}

// migrated returns the template's bytes, making it on first use.
func migrated() ([]byte, error) {
	template.once.Do(func() { template.data, template.err = makeTemplate() })
	return template.data, template.err
}

func makeTemplate() ([]byte, error) {
	dir, err := os.MkdirTemp("", "storetest-template-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := dir + "/veloslet.db"
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx)
	if err == nil {
		// The identity Open made: each copy must make its own.
		if _, err = tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN ('store_id', 'hash_key')`); err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
	}
	if err == nil {
		_, err = db.CheckpointTruncate(ctx) // everything in the main file, the WAL empty
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// MustOpenDBAt opens the database at path and closes it at cleanup.
func MustOpenDBAt(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	if *dump {
		tb.Logf("database: %s", path)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// MustApply upserts specs and fails the test on error.
func MustApply(tb testing.TB, db *store.DB, specs ...store.Spec) []store.ApplyResult {
	tb.Helper()
	res, err := db.UpsertSpecs(context.Background(), specs)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// RetryUntil calls fn until it returns nil, failing the test with fn's last
// error once timeout has passed: first interval apart, then further, up to
// a quarter second (testtool.Pacer).
func RetryUntil(tb testing.TB, interval, timeout time.Duration, fn func() error) {
	tb.Helper()
	deadline, pace := time.Now().Add(timeout), testtool.NewPacer(interval)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s: %v", timeout, err)
		}
		pace.Wait()
	}
}

// NeedTool returns the path of an outside tool, or skips the test with the
// reason — a failure instead under testtool.RequireToolsEnv=1.
func NeedTool(tb testing.TB, name string) string {
	tb.Helper()
	return testtool.Need(tb, name)
}

// FindInstances returns every instance record, ordered by uid, as a pass
// reads them.
func FindInstances(ctx context.Context, db *store.DB) ([]*store.Instance, error) {
	st, err := db.ReadState(ctx)
	if err != nil {
		return nil, err
	}
	recs := slices.Clone(st.Instances)
	slices.SortFunc(recs, func(a, b *store.Instance) int { return strings.Compare(a.UID, b.UID) })
	return recs, nil
}

// MigrateDownTo rolls the schema of the database file at path back to
// version, as an older veloslet left it, through a connection of its own: a
// store open on the file keeps what it has cached. The store's own tests
// roll back an open store with its MigrateDownTo method (export_test.go).
func MigrateDownTo(tb testing.TB, path string, version int64) {
	tb.Helper()
	sqldb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = sqldb.Close() }()
	p, err := goose.NewProvider(goose.DialectSQLite3, sqldb, migrations.FS)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.DownTo(context.Background(), version); err != nil {
		tb.Fatalf("migrate %s down to %d: %v", path, version, err)
	}
}
