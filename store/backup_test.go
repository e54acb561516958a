package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
