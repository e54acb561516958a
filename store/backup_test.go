package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestBackup_PrivateFromFirstByte backs up a database of some size with the
// umask cleared, watching the file while VACUUM INTO writes it: every mode
// seen, from the first, is 0600, and the folder it creates is 0700.
func TestBackup_PrivateFromFirstByte(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	specs := make([]store.Spec, 300)
	for i := range specs {
		specs[i] = store.Spec{UID: fmt.Sprintf("s%05d", i),
			Container: spec.Container{Image: "busybox", Command: []string{"sleep", "infinity"}, Env: map[string]string{"PAD": fmt.Sprintf("%0512d", i)}}}
	}
	if _, err := db.UpsertSpecs(ctx, specs); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0) // the process's umask would otherwise hide a create with 0666
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "backups")
	path := filepath.Join(dir, "b.db")
	done := make(chan error, 1)
	go func() { done <- db.Backup(ctx, path) }()
	seen := map[os.FileMode]int{}
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		default:
		}
		if fi, err := os.Stat(path); err == nil {
			seen[fi.Mode().Perm()]++
		}
	}
	if len(seen) != 1 || seen[0o600] == 0 {
		t.Fatalf("modes seen while the backup was written: %v, want only 0600", seen)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup folder: %v, mode %v, want 0700", err, fi.Mode().Perm())
	}
	id, err := store.FileStoreID(ctx, path)
	if err != nil || id != db.StoreID() {
		t.Fatalf("store id in the backup: %q, %v; want %q", id, err, db.StoreID())
	}
	t.Logf("%d observations during the backup", seen[0o600])
}

// TestBackup_NeverFollowsPlantedFiles plants, at the backup's name in a
// folder others could write, a symlink to a file the planter can read, a
// dangling symlink, and a file of the planter's: each backup is refused
// with ErrConflict, nothing is written through the symlinks or into the
// file, and no snapshot is left in the database's folder either.
func TestBackup_NeverFollowsPlantedFiles(t *testing.T) {
	ctx := context.Background()
	dbDir := t.TempDir()
	db := storetest.MustOpenDBAt(t, filepath.Join(dbDir, "veloslet.db"))
	if _, err := db.UpsertSpecs(ctx, []store.Spec{{UID: "web", Container: spec.Container{Image: "busybox", Env: map[string]string{"TOKEN": "secret-value"}}}}); err != nil {
		t.Fatal(err)
	}
	shared := t.TempDir() // stands for a folder another user can write
	loot := filepath.Join(t.TempDir(), "loot.db")
	existing := filepath.Join(t.TempDir(), "theirs.db")
	if err := os.WriteFile(existing, []byte("planted"), 0o644); err != nil {
		t.Fatal(err)
	}
	plant := map[string]func(path string) error{
		"symlink to an existing file": func(p string) error { return os.Symlink(existing, p) },
		"dangling symlink":            func(p string) error { return os.Symlink(loot, p) },
		"pre-created file":            func(p string) error { return os.WriteFile(p, []byte("planted"), 0o644) },
	}
	for name, fn := range plant {
		path := filepath.Join(shared, strings.ReplaceAll(name, " ", "-")+".db")
		if err := fn(path); err != nil {
			t.Fatal(err)
		}
		err := db.Backup(ctx, path)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: backup error %v, want ErrConflict", name, err)
		}
		if fi, err := os.Lstat(path); err != nil {
			t.Errorf("%s: the planted entry was removed: %v", name, err)
		} else if fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(path); string(b) != "planted" {
				t.Errorf("%s: the planted file was written: %d bytes", name, len(b))
			}
		}
	}
	if _, err := os.Stat(loot); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dangling symlink's target was created: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "planted" {
		t.Errorf("the symlink's target was written: %d bytes", len(b))
	}
	// A backup beside them is written, private, and leaves no temporary copy.
	good := filepath.Join(shared, "good.db")
	if err := db.Backup(ctx, good); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(good); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want a regular file 0600", fi, err)
	}
	if id, err := store.FileStoreID(ctx, good); err != nil || id != db.StoreID() {
		t.Fatalf("store id in the backup: %q, %v; want %q", id, err, db.StoreID())
	}
	entries, err := os.ReadDir(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "backup") {
			t.Fatalf("a temporary snapshot was left beside the database: %s", e.Name())
		}
	}
}

// TestBackup_SwapAfterCreateGetsNothing swaps the backup file, once
// created, for a symlink to a name the attacker reads: the snapshot never
// goes there (it is written through the descriptor opened at the start, not
// re-opened by name), and the backup reports the swap.
func TestBackup_SwapAfterCreateGetsNothing(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if _, err := db.UpsertSpecs(ctx, []store.Spec{{UID: "web", Container: spec.Container{Image: "busybox", Env: map[string]string{"TOKEN": "secret-value"}}}}); err != nil {
		t.Fatal(err)
	}
	loot := filepath.Join(t.TempDir(), "loot.db")
	path := filepath.Join(t.TempDir(), "b.db")
	defer store.SetBackupCreatedHook(func(p string) {
		if err := os.Remove(p); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(loot, p); err != nil {
			t.Error(err)
		}
	})()
	err := db.Backup(ctx, path)
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("backup swapped for a symlink: error %v, want ErrConflict", err)
	}
	if fi, err := os.Stat(loot); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the snapshot reached the symlink's target: %v, %d bytes", err, fi.Size())
	}
}
