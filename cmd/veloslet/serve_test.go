package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store"
)

func TestServe_SecondDaemonRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	first := e.Serve()
	db := e.OpenDB()
	e.WaitPass(db, store.TriggerStartup)
	second := e.Serve()
	if code := second.Wait(t); code != ExitUsage {
		t.Fatalf("second serve exit %d, want %d", code, ExitUsage)
	}
	msg := second.Stderr.String()
	if want := fmt.Sprintf("pid %d", first.Cmd.Process.Pid); !strings.Contains(msg, want) {
		t.Fatalf("second serve's error does not name %q: %s", want, msg)
	}
}

// TestServe_SIGTERMKeepsInstances stops the daemon with SIGTERM: instances
// keep running, and the next daemon adopts them rather than launching.
func TestServe_SIGTERMKeepsInstances(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	d := e.Serve()
	before := e.WaitRunning(3)
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.Wait(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; log:\n%s", code, d.Stderr.String())
	}
	if !strings.Contains(d.Stderr.String(), "instances keep running") {
		t.Errorf("no shutdown message in the log:\n%s", d.Stderr.String())
	}
	after := e.WaitRunning(3)
	for i := range before {
		if after[i].ID != before[i].ID {
			t.Fatalf("instance %s replaced by %s across SIGTERM", before[i].ID, after[i].ID)
		}
	}
	db := e.OpenDB()
	evs, _ := db.FindEvents(context.Background(), store.EventFilter{})
	last := evs[len(evs)-1].ID
	e.Serve()
	clitest.Poll(t, func() error {
		evs, _ := db.FindEvents(context.Background(), store.EventFilter{AfterID: last, Kind: store.EventResumed})
		if len(evs) != 3 {
			return fmt.Errorf("%d resumed events, want 3", len(evs))
		}
		return nil
	})
	for _, kind := range []store.EventKind{store.EventLaunched, store.EventRelaunched} {
		if evs, _ := db.FindEvents(context.Background(), store.EventFilter{AfterID: last, Kind: kind}); len(evs) != 0 {
			t.Fatalf("%d %s events after the restart, want 0", len(evs), kind)
		}
	}
}

// TestServe_ApplyTriggersPass shows that an apply from another process is
// picked up through the data_version watch, with cron set to an hour.
func TestServe_ApplyTriggersPass(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	e.Serve()
	db := e.OpenDB()
	e.WaitPass(db, store.TriggerStartup)
	start := time.Now()
	cmd := e.Command("apply", "-f", "-")
	cmd.Stdin = strings.NewReader(`{"uid": "a", "image": "busybox"}`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v: %s", err, out)
	}
	e.WaitRunning(1)
	t.Logf("apply to running instance: %s", time.Since(start))
	e.WaitPass(db, store.TriggerChange)
}

func TestServe_SIGHUPAndReconcile(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	d := e.Serve()
	db := e.OpenDB()
	e.WaitPass(db, store.TriggerStartup)
	if err := d.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	e.WaitPass(db, store.TriggerManual)
	out, err := e.Command("reconcile").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "by the daemon") {
		t.Fatalf("reconcile through the daemon: %v:\n%s", err, out)
	}
}

// TestServe_SIGKILLWhileConverging kills the daemon in the middle of
// launching 50 specs on a slow simulated runtime, starts it again, and checks
// that it converges: one running instance per uid, no orphans, every spec kept.
func TestServe_SIGKILLWhileConverging(t *testing.T) {
	e := newTestEnv(t, "concurrency = 2\n", `latency = "40ms"`)
	e.mustRun(clitest.SpecsJSON(50), "apply", "-f", "-")
	d := e.Serve()
	clitest.Poll(t, func() error {
		if n := len(e.HostList()); n < 5 {
			return fmt.Errorf("%d launched", n)
		}
		return nil
	})
	if err := d.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	d.Wait(t)
	n := len(e.HostList())
	if n >= 50 {
		t.Fatalf("the daemon finished converging (%d) before it was killed; the test proves nothing", n)
	}
	t.Logf("killed with %d of 50 launched", n)
	e.Serve()
	list := e.WaitRunning(50)
	db := e.OpenDB()
	seen := map[string]bool{}
	for _, in := range list {
		if seen[in.UID] || in.StoreID() != db.StoreID() {
			t.Fatalf("duplicate or foreign instance %+v", in)
		}
		seen[in.UID] = true
	}
	specs, _ := db.FindSpecs(context.Background())
	if len(specs) != 50 {
		t.Fatalf("%d specs after the crash, want 50", len(specs))
	}
	for _, s := range specs {
		if !seen[s.UID] {
			t.Fatalf("%s not running", s.UID)
		}
	}
}

func TestEvents_Follow(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "a", "image": "x"}`, "apply", "-f", "-")
	out := &clitest.SyncBuffer{}
	cmd := e.Command("events", "--follow", "--json")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	clitest.Poll(t, func() error {
		if !strings.Contains(out.String(), `"kind":"spec_created"`) {
			return errors.New("no spec_created yet")
		}
		return nil
	})
	e.mustRun("", "delete", "a") // written after follow started
	clitest.Poll(t, func() error {
		if !strings.Contains(out.String(), `"kind":"spec_deleted"`) {
			return errors.New("new event not followed yet")
		}
		return nil
	})
	exited := make(chan error, 1) // the cleanup's own Wait then returns at once
	go func() { exited <- cmd.Wait() }()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("events --follow after SIGINT: %v", err)
		}
	case <-time.After(clitest.WaitTimeout):
		t.Fatalf("events --follow did not exit within %s of SIGINT; output:\n%s", clitest.WaitTimeout, out.String())
	}
}

// TestServe_SecondDaemonThroughSymlinkRefused serves one file under two
// paths: the second daemon meets the first one's lock and exits 2 naming it.
func TestServe_SecondDaemonThroughSymlinkRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	first := e.Serve()
	e.WaitPass(e.OpenDB(), store.TriggerStartup)
	link := filepath.Join(e.Dir, "link.db")
	if err := os.Symlink(e.DB, link); err != nil {
		t.Fatal(err)
	}
	oe := *e.Env
	other := testEnv{&oe}
	other.Config = filepath.Join(e.Dir, "other.toml")
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other.Config, []byte(strings.Replace(string(cfg), fmt.Sprintf("%q", e.DB), fmt.Sprintf("%q", link), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	second := other.Serve()
	if code := second.Wait(t); code != ExitUsage {
		t.Fatalf("second serve through a symlink exit %d, want %d:\n%s", code, ExitUsage, second.Stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.Cmd.Process.Pid); !strings.Contains(second.Stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.Stderr.String())
	}
}

// TestServe_DatabaseDeletedUnderDaemon unlinks the database while serve
// runs: the daemon notices by itself (it watches the path) and exits
// non-zero without writing a new database; and apply, while a daemon holds
// the lock of a path with no database, refuses to create one.
func TestServe_DatabaseDeletedUnderDaemon(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	d := e.Serve()
	e.WaitPass(e.OpenDB(), store.TriggerStartup)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(e.DB + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if code := d.Wait(t); code == 0 {
		t.Fatalf("serve exited 0 on a deleted database:\n%s", d.Stderr.String())
	}
	if !strings.Contains(d.Stderr.String(), "deleted or replaced") {
		t.Fatalf("serve's log does not say why it stopped:\n%s", d.Stderr.String())
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Fatalf("serve wrote a new database: %v", err)
	}

	lock, err := acquireLock(e.DB) // a daemon still on its way out holds it
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.release() }()
	cmd := e.Command("apply", "-f", "-") // another process: the lock is per open file
	cmd.Stdin = strings.NewReader(clitest.SpecsJSON(3))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "holds its lock") {
		t.Fatalf("apply beside an orphaned lock: %v, %s; want a refusal naming the lock", err, out)
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Fatalf("a new database was created: %v", err)
	}
}
