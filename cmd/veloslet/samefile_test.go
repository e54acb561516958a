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

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/store"
)

// atPath returns a copy of the env whose config names the database by path.
func (e *testEnv) atPath(path string) *testEnv {
	e.T.Helper()
	oe := *e.Env
	other := testEnv{&oe}
	other.Config = filepath.Join(e.Dir, "at-"+filepath.Base(path)+".toml")
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		e.T.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("%q", e.DB), fmt.Sprintf("%q", path), 1))
	if err := os.WriteFile(other.Config, cfg, 0o600); err != nil {
		e.T.Fatal(err)
	}
	other.DB = path
	return &other
}

// TestServe_SecondDaemonThroughHardLinkRefused reaches the served file by a
// hard link in another folder: its lock file and its WAL would be others,
// so the path lock alone lets a second writer in. The second serve meets
// the lock on the file itself and exits 2 naming the first; a writing verb
// through the link is refused as well, since its WAL would be another.
func TestServe_SecondDaemonThroughHardLinkRefused(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	first := e.Serve()
	e.WaitPass(e.OpenDB(), store.TriggerStartup)
	if err := os.Mkdir(filepath.Join(e.Dir, "elsewhere"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(e.Dir, "elsewhere", "linked.db")
	if err := os.Link(e.DB, link); err != nil {
		t.Fatal(err)
	}
	other := e.atPath(link)

	second := other.Serve()
	if code := second.Wait(t); code != ExitUsage {
		t.Fatalf("second serve through a hard link exit %d, want %d:\n%s", code, ExitUsage, second.Stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.Cmd.Process.Pid); !strings.Contains(second.Stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.Stderr.String())
	}

	// A separate process: in this one the file is already open (openDB above).
	cmd := other.Command("apply", "-f", "-")
	cmd.Stdin = strings.NewReader(clitest.SpecsJSON(3))
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
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.WaitRunning(3)
}

// TestServe_DatabaseMovedUnderDaemon moves the database away while serve
// runs, with no pass due for an hour: serve notices by itself (it stats the
// path on a timer), checkpoints the WAL into the moved file and exits
// non-zero, leaving no commits in a WAL at the path. The moved file alone holds every
// commit, and a copy of it put back at the path opens clean.
func TestServe_DatabaseMovedUnderDaemon(t *testing.T) {
	e := newTestEnv(t, `schedule = "@every 1h"`)
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	d := e.Serve()
	e.WaitRunning(2)
	e.mustRun(clitest.SpecsJSON(5), "apply", "-f", "-")
	e.WaitRunning(5) // the daemon's own commits for it are in its WAL now
	ctx := context.Background()
	db, err := store.Open(ctx, e.DB)
	if err != nil {
		t.Fatal(err)
	}
	e.WaitPass(db, store.TriggerChange)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(e.DB + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("want commits in the WAL before the move: %v", err)
	}

	moved := filepath.Join(e.Dir, "moved.db")
	if err := os.Rename(e.DB, moved); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if code := d.Wait(t); code == 0 {
		t.Fatalf("serve exited 0 on a moved database:\n%s", d.Stderr.String())
	}
	log := d.Stderr.String()
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
	if fi, err := os.Stat(e.DB + "-wal"); err == nil && fi.Size() > 0 {
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
	e.WaitPass(got, store.TriggerChange)
	// Put back at the path, it opens (quick_check included) and reads whole.
	copyFile(t, moved, e.DB)
	back, err := store.Open(ctx, e.DB)
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
	e.mustRun(clitest.SpecsJSON(1), "apply", "-f", "-")
	d := e.Serve()
	addr := listenAddr(t, d)
	e.WaitRunning(1)
	health := func() (int, string, error) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0, "", err
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body)), nil
	}
	clitest.Poll(t, func() error {
		if code, body, err := health(); err != nil || code != http.StatusOK {
			return fmt.Errorf("/healthz before the move: %d %q %v", code, body, err)
		}
		return nil
	})
	e.mustRun(clitest.SpecsJSON(40), "apply", "-f", "-") // 39 launches, one at a time, 100 ms each
	clitest.Poll(t, func() error {
		if n := len(e.HostList()); n < 3 {
			return fmt.Errorf("%d instances: the slow pass has not begun", n)
		}
		return nil
	})
	if err := os.Rename(e.DB, filepath.Join(e.Dir, "moved.db")); err != nil {
		t.Fatal(err)
	}
	clitest.Poll(t, func() error {
		code, body, err := health()
		if err != nil {
			return fmt.Errorf("/healthz: %v (the daemon stopped serving before saying so?)", err)
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "deleted or replaced") {
			return fmt.Errorf("/healthz after the move: %d %q", code, body)
		}
		return nil
	})
	if n := len(e.HostList()); n >= 40 {
		t.Fatalf("the pass had already finished (%d instances): nothing shown about the window", n)
	}
	if code := d.Wait(t); code == 0 {
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
	first := e.Serve()
	e.WaitPass(e.OpenDB(), store.TriggerStartup)
	bound := filepath.Join(t.TempDir(), "bound.db")
	if err := os.WriteFile(bound, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", e.DB, bound).CombinedOutput(); err != nil {
		t.Fatalf("mount --bind: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", bound).Run() })

	second := e.atPath(bound).Serve()
	if code := second.Wait(t); code != ExitUsage {
		t.Fatalf("second serve through a bind mount exit %d, want %d:\n%s", code, ExitUsage, second.Stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.Cmd.Process.Pid); !strings.Contains(second.Stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.Stderr.String())
	}
}
