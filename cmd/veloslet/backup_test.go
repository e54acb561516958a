package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

func TestBackup_Rotation(t *testing.T) {
	e := newTestEnv(t, "[backup]\nkeep = 2\n")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	var paths []string
	for range 3 {
		paths = append(paths, strings.TrimSpace(e.mustRun("", "backup")))
	}
	entries, err := os.ReadDir(filepath.Join(filepath.Dir(e.DB), "backups"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d backups kept, want 2", len(entries))
	}
	if _, err := os.Stat(paths[0]); !os.IsNotExist(err) {
		t.Fatalf("the oldest backup %s was kept", paths[0])
	}
	fi, err := os.Stat(paths[2])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("newest backup: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	to := filepath.Join(e.Dir, "one.db")
	e.mustRun("", "backup", "--to", to)
	if _, _, code := e.run("", "backup", "--to", to); code == 0 {
		t.Fatal("backup over an existing file succeeded")
	}
}

// TestBackup_Restore backs up, launches more, restores the older file and
// starts: the host converges to the snapshot with no duplicates.
func TestBackup_Restore(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.mustRun("", "reconcile")
	snapshot := filepath.Join(e.Dir, "snap.db")
	e.mustRun("", "backup", "--to", snapshot)

	// After the backup: two new specs, one changed, one relaunched.
	e.mustRun(`[{"uid": "n1", "image": "x"}, {"uid": "n2", "image": "x"},
		{"uid": "s000", "image": "busybox", "command": ["sleep", "infinity"], "env": {"V": "2"}}]`, "apply", "-f", "-")
	e.mustRun("", "fake", "exit", "s001", "--code", "1")
	e.mustRun("", "reconcile")
	if n := len(e.HostList()); n != 5 {
		t.Fatalf("%d instances before the restore, want 5", n)
	}

	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(e.DB + suffix)
	}
	data, err := os.ReadFile(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.DB, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("", "reconcile")
	for _, want := range []string{"n1 removed_orphan", "n2 removed_orphan", "s000 replaced"} {
		if !strings.Contains(out, want) {
			t.Errorf("reconcile after the restore lacks %q:\n%s", want, out)
		}
	}
	list := e.WaitRunning(3)
	seen := map[string]bool{}
	for _, in := range list {
		if seen[in.UID] {
			t.Fatalf("duplicate instance for %s", in.UID)
		}
		seen[in.UID] = true
	}
	if out := e.mustRun("", "plan"); !strings.Contains(out, "nothing to do") {
		t.Fatalf("not converged after the restore:\n%s", out)
	}
}

// TestBackup_RotationTouchesOnlyItsOwn keeps backups in the database's own
// folder, beside a live database named like a backup and another store's
// snapshots: with keep = 1, rotation deletes only this store's older
// snapshots.
func TestBackup_RotationTouchesOnlyItsOwn(t *testing.T) {
	e := newTestEnv(t, "")
	dir := filepath.Join(e.Dir, "data")
	e.DB = filepath.Join(dir, "veloslet-0prod.db")
	cfg := fmt.Sprintf("[store]\npath = %q\n[runtime]\nbackend = \"fake\"\n[runtime.fake]\nstate_file = %q\n[backup]\ndir = %q\nkeep = 1\n", e.DB, e.Host, dir)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")

	// Another store sharing the folder, with two snapshots of its own.
	other := newTestEnv(t, "")
	other.mustRun(clitest.SpecsJSON(1), "apply", "-f", "-")
	var foreign []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("veloslet-otherstore-20260101T00000%d.000Z.db", i))
		other.mustRun("", "backup", "--to", p)
		foreign = append(foreign, p)
	}
	ours := e.OpenDB().StoreID()
	// A file named as ours but holding the other store's id.
	impostor := filepath.Join(dir, "veloslet-"+ours+"-20200101T000000.000Z.db")
	other.mustRun("", "backup", "--to", impostor)

	var paths []string
	for range 3 {
		paths = append(paths, strings.TrimSpace(e.mustRun("", "backup")))
	}
	for _, p := range append([]string{e.DB, impostor, paths[2]}, foreign...) {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v; rotation must leave it", filepath.Base(p), err)
		}
	}
	for _, p := range paths[:2] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s kept with keep = 1", filepath.Base(p))
		}
	}
	if !strings.Contains(filepath.Base(paths[2]), ours) {
		t.Errorf("backup %s is not named with the store id %s", paths[2], ours)
	}
	e.mustRun("", "status") // the live database still opens
}
