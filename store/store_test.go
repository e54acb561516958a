package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

func TestOpen_OK(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub", "dir")
	db := storetest.MustOpenDBAt(t, filepath.Join(dir, "v.db"))
	for path, want := range map[string]os.FileMode{dir: 0o700, db.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode=%v, want %v", path, got, want)
		}
	}
	if _, err := os.Stat(db.Path() + "-wal"); err != nil {
		t.Errorf("no WAL file beside the database: %v", err)
	}
	if len(db.StoreID()) != 16 {
		t.Fatalf("StoreID=%q, want 16 hex characters", db.StoreID())
	}
}

func TestOpen_StoreIDStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	id := db.StoreID()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := storetest.MustOpenDBAt(t, path)
	if got := db2.StoreID(); got != id {
		t.Fatalf("StoreID=%q after reopen, want %q", got, id)
	}
}

func TestOpen_ErrCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	garbage := bytes.Repeat([]byte("not a database at all "), 300)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), path)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("err=%v, want ErrCorrupt", err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, garbage) {
		t.Fatal("Open changed a corrupt file")
	}
}

func TestOpen_ErrNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	db := storetest.MustOpenDBAt(t, path)
	sqlite3 := storetest.NeedTool(t, "sqlite3")
	_ = db.Close()
	out, err := exec.Command(sqlite3, path,
		"INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v: %s", err, out)
	}
	_, err = store.Open(context.Background(), path)
	if !errors.Is(err, store.ErrNewerSchema) {
		t.Fatalf("err=%v, want ErrNewerSchema", err)
	}
}

func TestMigrations_UpDownUp(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if err := db.MigrateDownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if m.Applied {
			t.Fatalf("migration %d still applied after down", m.Version)
		}
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if st, err = db.MigrationStatus(ctx); err != nil || len(st) == 0 || !st[len(st)-1].Applied {
		t.Fatalf("status after up: %+v, %v", st, err)
	}
}

// TestSchema_RefusesBadRowsFromSQLite3 types bad INSERTs into the sqlite3 CLI,
// as an operator might: the CHECK constraints must refuse each one.
func TestSchema_RefusesBadRowsFromSQLite3(t *testing.T) {
	db := storetest.MustOpenDB(t)
	sqlite3 := storetest.NeedTool(t, "sqlite3")
	insert := func(uid, image, command, restart string) (string, error) {
		q := "INSERT INTO specs (uid, image, command, restart, created_at, updated_at) VALUES ('" +
			uid + "', '" + image + "', '" + command + "', '" + restart + "', 0, 0);"
		out, err := exec.Command(sqlite3, db.Path(), q).CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct{ name, uid, image, command, restart string }{
		{"BadUID", "Bad UID!", "alpine", "[]", "always"},
		{"UIDWithLeadingDash", "-web", "alpine", "[]", "always"},
		{"UIDTooLong", strings.Repeat("a", 49), "alpine", "[]", "always"},
		{"UnknownRestart", "web", "alpine", "[]", "sometimes"},
		{"CommandNotArray", "web", "alpine", `{"sh": 1}`, "always"},
		{"CommandNotJSON", "web", "alpine", "sleep 1", "always"},
		{"ImageFlag", "web", "--privileged", "[]", "always"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := insert(tc.uid, tc.image, tc.command, tc.restart)
			if err == nil || !strings.Contains(out, "CHECK constraint failed") {
				t.Fatalf("insert accepted or failed otherwise: err=%v out=%s", err, out)
			}
		})
	}
	t.Run("GoodRow", func(t *testing.T) {
		if out, err := insert("web-1", "alpine:3.20", `["sleep","1"]`, "on-failure"); err != nil {
			t.Fatalf("good row refused: %v: %s", err, out)
		}
	})
}

// TestOpen_Concurrent opens one new file from several goroutines at once, as
// `serve` and `apply` started together do: every Open must succeed.
func TestOpen_Concurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.db")
	errs := make(chan error, 8)
	ids := make(chan string, 8)
	for range 8 {
		go func() {
			db, err := store.Open(context.Background(), path)
			if err == nil {
				ids <- db.StoreID()
				err = db.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	first := <-ids
	for id := range ids {
		if id != first {
			t.Fatalf("store ids %s and %s for one file", first, id)
		}
	}
}

// TestSchema_SQLChangeBumpsGeneration: a spec changed with sqlite3 gets a new
// generation and hash, so the daemon replaces its instance.
func TestSchema_SQLChangeBumpsGeneration(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "web", Container: spec.Container{Image: "nginx:1.27"}})
	before, _ := db.FindSpecByUID(ctx, "web")
	sqlite3 := storetest.NeedTool(t, "sqlite3")
	for _, q := range []string{
		"UPDATE specs SET desired_state = 'stopped' WHERE uid = 'web'",
		"UPDATE specs SET image = 'nginx:1.28' WHERE uid = 'web'",
		"INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('byhand', 'busybox', 0, 0)",
	} {
		if out, err := exec.Command(sqlite3, db.Path(), q).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", q, err, out)
		}
	}
	after, _ := db.FindSpecByUID(ctx, "web")
	if after.Generation != before.Generation+1 || after.SpecHash == before.SpecHash || after.DesiredState != store.DesiredStopped {
		t.Fatalf("after sqlite3 updates: %+v (before %+v)", after, before)
	}
	byhand, err := db.FindSpecByUID(ctx, "byhand")
	if err != nil || byhand.SpecHash == "" || byhand.Generation != 1 {
		t.Fatalf("inserted spec %+v, %v: want a marker hash", byhand, err)
	}
}

// TestDataVersion_SeesOutsideWritesAfterOwnWrites: the daemon's connection
// writes records and events (prepared statements) and must still see every
// commit of another connection through data_version.
func TestDataVersion_SeesOutsideWritesAfterOwnWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	daemon := storetest.MustOpenDBAt(t, path)
	other := storetest.MustOpenDBAt(t, path)
	for i := range 3 {
		uid := fmt.Sprintf("u%d", i)
		if err := daemon.RecordOutcome(ctx, store.Outcome{Instance: &store.Instance{UID: uid, State: store.InstanceRunning},
			Events: []store.Event{{UID: uid, Kind: store.EventLaunched, Reason: "test"}}}); err != nil {
			t.Fatal(err)
		}
		before, err := daemon.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustApply(t, other, store.Spec{UID: uid, Container: spec.Container{Image: "busybox"}})
		after, err := daemon.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after == before {
			t.Fatalf("round %d: data_version stayed %d after another connection's commit", i, after)
		}
	}
}
