package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/store"
)

// atPath returns a copy of the env whose config names the database by path.
func (e *testEnv) atPath(path string) *testEnv {
	e.t.Helper()
	other := *e
	other.config = filepath.Join(e.dir, "at-"+filepath.Base(path)+".toml")
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("%q", e.db), fmt.Sprintf("%q", path), 1))
	if err := os.WriteFile(other.config, cfg, 0o600); err != nil {
		e.t.Fatal(err)
	}
	other.db = path
	return &other
}

// TestServe_SecondDaemonThroughHardLinkRefused reaches the served file by a
// hard link in another folder: its lock file and its WAL would be others,
// so the path lock alone lets a second writer in. The second serve meets
// the lock on the file itself and exits 2 naming the first; a writing verb
// through the link is refused as well, since its WAL would be another.
func TestServe_SecondDaemonThroughHardLinkRefused(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(specsJSON(2), "apply", "-f", "-")
	first := e.serve()
	e.waitPass(e.openDB(), store.TriggerStartup)
	if err := os.Mkdir(filepath.Join(e.dir, "elsewhere"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(e.dir, "elsewhere", "linked.db")
	if err := os.Link(e.db, link); err != nil {
		t.Fatal(err)
	}
	other := e.atPath(link)

	second := other.serve()
	if code := second.wait(t); code != ExitUsage {
		t.Fatalf("second serve through a hard link exit %d, want %d:\n%s", code, ExitUsage, second.stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.cmd.Process.Pid); !strings.Contains(second.stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.stderr.String())
	}

	// A separate process: in this one the file is already open (openDB above).
	cmd := other.command("apply", "-f", "-")
	cmd.Stdin = strings.NewReader(specsJSON(3))
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != ExitUsage || !strings.Contains(string(out), "through another path") {
		t.Fatalf("apply through a hard link beside a daemon: exit %d (%v), %s; want exit %d naming the other path", code, err, out, ExitUsage)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(link + suffix); err == nil {
			t.Fatalf("%s%s was created: a second WAL for the served file", link, suffix)
		}
	}
	// The first daemon is unharmed: a write through its path still reaches it.
	e.mustRun(specsJSON(3), "apply", "-f", "-")
	e.waitRunning(3)
}
