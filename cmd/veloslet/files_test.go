package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestFiles_Permissions: the folder veloslet creates is 0700, and the
// database, its WAL and shared-memory files and both lock files are 0600,
// whatever the umask.
func TestFiles_Permissions(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	e := newBareTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	d := e.Serve()
	e.WaitRunning(2)
	dir := filepath.Dir(e.DB)
	want := map[string]fs.FileMode{dir: 0o700 | fs.ModeDir}
	for _, suffix := range []string{"", "-wal", "-shm", ".migrate-lock", ".lock"} {
		want[e.DB+suffix] = 0o600
	}
	for path, mode := range want {
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if st.Mode() != mode {
			t.Errorf("%s is %s, want %s", path, st.Mode(), mode)
		}
	}
	_ = d.Cmd.Process.Kill()
}

// fileSum is a file's hash, to prove veloslet left it as it was.
func fileSum(t *testing.T, path string) [32]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// TestFiles_BadDatabase: a file that is not a database, one damaged inside,
// and one from a newer schema each stop every verb with an error that says
// so, and the file is never changed.
func TestFiles_BadDatabase(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, want string
		spoil      func(t *testing.T, path string)
	}{
		{"not a database", "corrupt or not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("garbage "), 4096), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged pages", "malformed", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = f.Close() }()
			// Past the header page: the schema and table pages.
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 8192), 4096); err != nil {
				t.Fatal(err)
			}
		}},
		{"newer schema", "newer", func(t *testing.T, path string) {
			out, err := exec.Command(storetest.NeedTool(t, "sqlite3"), path,
				"INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)").CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3: %v: %s", err, out)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEnv(t, "")
			e.mustRun(clitest.SpecsJSON(50), "apply", "-f", "-")
			checkpoint(t, e.DB)
			c.spoil(t, e.DB)
			before := fileSum(t, e.DB)
			for _, verb := range [][]string{{"status"}, {"apply", "-f", "-"}, {"reconcile"}, {"serve"}} {
				_, stderr, code := e.run(clitest.SpecsJSON(1), verb...)
				if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, e.DB) {
					t.Errorf("%s: exit %d, stderr %q: want exit 1 naming the file and saying %q", verb[0], code, stderr, c.want)
				}
			}
			if fileSum(t, e.DB) != before {
				t.Error("the database file was changed")
			}
		})
	}
}

// checkpoint folds the WAL into the file, so that spoiling the file spoils
// everything (as a real damaged disk would).
func checkpoint(t *testing.T, path string) {
	out, err := exec.Command(storetest.NeedTool(t, "sqlite3"), path, "PRAGMA wal_checkpoint(TRUNCATE)").CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 checkpoint: %v: %s", err, out)
	}
}

// tmpfs mounts a tmpfs of size bytes for the test; only root can.
func tmpfs(t *testing.T, size int) string {
	if os.Geteuid() != 0 {
		testtool.Missing(t, "mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// withDB points the env's config at a database under dir.
func withDB(t *testing.T, e *testEnv, dir string) {
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state", "veloslet.db")
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("path = %q", e.DB), fmt.Sprintf("path = %q", path), 1))
	if err := os.WriteFile(e.Config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	e.DB = path
}

// TestFiles_ReadOnly: on a read-only file system veloslet refuses to start
// with an error that says the database cannot be written, and reads still
// work where they can.
func TestFiles_ReadOnly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	dir := tmpfs(t, 16<<20)
	withDB(t, e, dir)
	e.mustRun(clitest.SpecsJSON(5), "apply", "-f", "-")
	checkpoint(t, e.DB)
	before := fileSum(t, e.DB)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v: %s", err, out)
	}
	for _, verb := range [][]string{{"apply", "-f", "-"}, {"serve"}, {"status"}} {
		_, stderr, code := e.run(clitest.SpecsJSON(1), verb...)
		if code != 1 || !strings.Contains(stderr, "read-only") || !strings.Contains(stderr, e.DB) {
			t.Errorf("%s: exit %d, stderr %q: want exit 1 naming the file and saying read-only", verb[0], code, stderr)
		}
	}
	if fileSum(t, e.DB) != before {
		t.Error("the database file was changed")
	}
}

// TestFiles_DiskFull: with the disk full, veloslet fails with an error that
// says so; nothing stored before is lost, and once there is room again
// everything works and the file passes SQLite's integrity check.
func TestFiles_DiskFull(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	dir := tmpfs(t, 4<<20)
	withDB(t, e, dir)
	e.mustRun(clitest.SpecsJSON(20), "apply", "-f", "-")
	fill := filepath.Join(dir, "filler")
	f, err := os.Create(fill)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // ENOSPC: the disk is full
		}
	}
	_ = f.Close()
	var big strings.Builder
	big.WriteString("[")
	for i := range 2000 {
		if i > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"uid": "big%04d", "image": "busybox", "command": ["sleep", "%s"]}`, i, strings.Repeat("9", 200))
	}
	big.WriteString("]")
	_, stderr, code := e.run(big.String(), "apply", "-f", "-")
	if code != 1 || !strings.Contains(stderr, "full") {
		t.Fatalf("apply on a full disk: exit %d, stderr %q: want exit 1 saying the disk is full", code, stderr)
	}
	// Even a read needs room: in WAL mode the first connection creates the
	// shared-memory file. It too must say why.
	if _, stderr, code := e.run("", "status"); code != 1 || !strings.Contains(stderr, "full") {
		t.Fatalf("status on a full disk: exit %d, stderr %q", code, stderr)
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("", "status"); strings.Count(out, "s0") != 20 {
		t.Fatalf("status after the failed write lost specs:\n%s", out)
	}
	e.mustRun(clitest.SpecsJSON(21), "apply", "-f", "-")
	out, err := exec.Command(storetest.NeedTool(t, "sqlite3"), e.DB, "PRAGMA integrity_check; SELECT count(*) FROM specs").CombinedOutput()
	if err != nil || string(out) != "ok\n21\n" {
		t.Fatalf("after the disk had room again: %v: %q", err, out)
	}
}
