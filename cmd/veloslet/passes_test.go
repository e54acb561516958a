package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReconcile_NewPath: a first reconcile on a path whose folder does not
// exist yet makes it (0700), as serve and apply do, instead of failing on
// the lock file that lives there.
func TestReconcile_NewPath(t *testing.T) {
	e := newTestEnv(t, "")
	path := filepath.Join(t.TempDir(), "new", "folder", "v.db")
	if out, errOut, code := e.run("", "--db", path, "reconcile"); code != 0 {
		t.Fatalf("reconcile on a new path: exit %d: %s%s", code, out, errOut)
	}
	st, err := os.Stat(filepath.Dir(path))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("database folder: %v, %v; want 0700", st, err)
	}
}
