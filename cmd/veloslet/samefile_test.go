package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/internal/testtool"
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

// TestServe_DatabaseMovedUnderDaemon moves the database away while serve
// runs, with no pass due for an hour: serve notices by itself (it stats the
// path on a timer), checkpoints the WAL into the moved file and exits
// non-zero, leaving no commits in a WAL at the path. The moved file alone holds every
// commit, and a copy of it put back at the path opens clean.
func TestServe_DatabaseMovedUnderDaemon(t *testing.T) {
	e := newTestEnv(t, `schedule = "@every 1h"`)
	e.mustRun(specsJSON(2), "apply", "-f", "-")
	d := e.serve()
	e.waitRunning(2)
	e.mustRun(specsJSON(5), "apply", "-f", "-")
	e.waitRunning(5) // the daemon's own commits for it are in its WAL now
	ctx := context.Background()
	db, err := store.Open(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	e.waitPass(db, store.TriggerChange)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(e.db + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("want commits in the WAL before the move: %v", err)
	}

	moved := filepath.Join(e.dir, "moved.db")
	if err := os.Rename(e.db, moved); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code := d.wait(t); code == 0 {
		t.Fatalf("serve exited 0 on a moved database:\n%s", d.stderr.String())
	}
	log := d.stderr.String()
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "WAL checkpointed") {
			t.Logf("serve exited %s after the move; %s", time.Since(start).Round(time.Millisecond), line)
		}
	}
	for _, want := range []string{"deleted or replaced", "WAL checkpointed", `complete=true`} {
		if !strings.Contains(log, want) {
			t.Fatalf("serve's log lacks %q:\n%s", want, log)
		}
	}
	// SQLite keeps a moved file's -wal and -shm on close (it cannot know
	// they are still its own); the WAL must be empty, and the -shm is
	// rebuilt by the next opener.
	if fi, err := os.Stat(e.db + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("WAL left at the path with %d bytes", fi.Size())
	}
	// The moved file by itself, without any WAL, has the last pass.
	alone := filepath.Join(t.TempDir(), "alone.db")
	copyFile(t, moved, alone)
	got, err := store.OpenReadOnly(ctx, alone)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = got.Close() }()
	if specs, err := got.FindSpecs(ctx); err != nil || len(specs) != 5 {
		t.Fatalf("moved file alone: %d specs, %v; want 5", len(specs), err)
	}
	e.waitPass(got, store.TriggerChange)
	// Put back at the path, it opens (quick_check included) and reads whole.
	copyFile(t, moved, e.db)
	back, err := store.Open(ctx, e.db)
	if err != nil {
		t.Fatalf("restored copy: %v", err)
	}
	defer func() { _ = back.Close() }()
	if specs, err := back.FindSpecs(ctx); err != nil || len(specs) != 5 {
		t.Fatalf("restored copy: %d specs, %v; want 5", len(specs), err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServe_MovedDatabaseUnhealthyAtOnce moves the database away while a
// slow pass is in flight: /healthz says so (503) while the daemon is still
// finishing that pass, not at the next one an hour later.
func TestServe_MovedDatabaseUnhealthyAtOnce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "schedule = \"@every 1h\"\nconcurrency = 1\n[http]\nlisten = \"127.0.0.1:0\"\n", `latency = "100ms"`)
	e.mustRun(specsJSON(1), "apply", "-f", "-")
	d := e.serve()
	addr := d.listenAddr(t)
	e.waitRunning(1)
	health := func() (int, string, error) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0, "", err
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body)), nil
	}
	poll(t, func() error {
		if code, body, err := health(); err != nil || code != http.StatusOK {
			return fmt.Errorf("/healthz before the move: %d %q %v", code, body, err)
		}
		return nil
	})
	e.mustRun(specsJSON(40), "apply", "-f", "-") // 39 launches, one at a time, 100 ms each
	poll(t, func() error {
		if n := len(e.hostList()); n < 3 {
			return fmt.Errorf("%d instances: the slow pass has not begun", n)
		}
		return nil
	})
	if err := os.Rename(e.db, filepath.Join(e.dir, "moved.db")); err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		code, body, err := health()
		if err != nil {
			return fmt.Errorf("/healthz: %v (the daemon stopped serving before saying so?)", err)
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "deleted or replaced") {
			return fmt.Errorf("/healthz after the move: %d %q", code, body)
		}
		return nil
	})
	if n := len(e.hostList()); n >= 40 {
		t.Fatalf("the pass had already finished (%d instances): nothing shown about the window", n)
	}
	if code := d.wait(t); code == 0 {
		t.Fatalf("serve exited 0 on a moved database")
	}
}

// TestServe_SecondDaemonThroughBindMountRefused bind-mounts the served file
// onto another file: the same device and inode under another name, with its
// own -wal and -shm beside it. The second serve exits 2 naming the first.
func TestServe_SecondDaemonThroughBindMountRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		testtool.Missing(t, "a bind mount needs root")
	}
	e := newTestEnv(t, "")
	first := e.serve()
	e.waitPass(e.openDB(), store.TriggerStartup)
	bound := filepath.Join(t.TempDir(), "bound.db")
	if err := os.WriteFile(bound, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", e.db, bound).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", bound).Run() })

	second := e.atPath(bound).serve()
	if code := second.wait(t); code != ExitUsage {
		t.Fatalf("second serve through a bind mount exit %d, want %d:\n%s", code, ExitUsage, second.stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.cmd.Process.Pid); !strings.Contains(second.stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.stderr.String())
	}
}
