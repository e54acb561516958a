package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// daemon is a running `veloslet serve`.
type daemon struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

// serve starts `veloslet serve` with env added to the environment.
func (e *testEnv) serve(env ...string) *daemon {
	e.t.Helper()
	return e.serveWith(binPath(e.t), env...)
}

// serveWith starts `serve` from the binary bin (a plain build, where the
// race detector's cost would be measured too); it is killed at cleanup.
func (e *testEnv) serveWith(bin string, env ...string) *daemon {
	e.t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), EnvConfig+"="+e.config)
	d := &daemon{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	d.cmd.Env = append(d.cmd.Env, env...)
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	e.t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		if err := <-d.done; err != nil {
			e.t.Logf("serve ended: %v", err) // killed on purpose at cleanup
		}
		if e.t.Failed() {
			e.t.Logf("serve log:\n%s", d.stderr.String())
		}
	})
	return d
}

// wait waits for the process to exit and returns its exit code.
func (d *daemon) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-d.done:
		d.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(waitTimeout):
		t.Fatalf("serve (pid %d) did not exit within %s; log:\n%s", d.cmd.Process.Pid, waitTimeout, d.stderr.String())
		return -1
	}
}

// waitTimeout bounds every wait for the daemon: long enough for a loaded
// 2-core machine running other test packages at the same time (a wait ends
// as soon as its condition holds, so a long bound costs nothing).
const waitTimeout = time.Minute

// podmanTimeout bounds a wait on real containers: podman's calls take
// seconds each on a loaded machine, and some waits need dozens of them.
const podmanTimeout = 3 * time.Minute

// poll calls fn until it returns nil, failing with fn's last error (which
// says what was awaited and what was seen) after waitTimeout.
func poll(t *testing.T, fn func() error) {
	t.Helper()
	pollFor(t, waitTimeout, fn)
}

// pollFor is poll with another bound.
func pollFor(t *testing.T, timeout time.Duration, fn func() error) {
	t.Helper()
	storetest.RetryUntil(t, 20*time.Millisecond, timeout, fn)
}

// host opens the env's simulated host, as another process would.
func (e *testEnv) hostList() []runtime.Instance {
	e.t.Helper()
	rt, err := fake.Open(e.host)
	if err != nil {
		e.t.Fatal(err)
	}
	list, err := rt.List(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *testEnv) waitRunning(n int) []runtime.Instance {
	e.t.Helper()
	var list []runtime.Instance
	poll(e.t, func() error {
		list = e.hostList()
		running := 0
		for _, in := range list {
			if in.State == runtime.StateRunning {
				running++
			}
		}
		if running != n || len(list) != n {
			return fmt.Errorf("%d running of %d listed, want %d", running, len(list), n)
		}
		return nil
	})
	return list
}

// openDB opens the env's database from the test, as an operator's sqlite3 would.
func (e *testEnv) openDB() *store.DB {
	return storetest.MustOpenDBAt(e.t, e.db)
}

func (e *testEnv) waitPass(db *store.DB, trigger store.Trigger) {
	e.t.Helper()
	poll(e.t, func() error {
		p, err := db.LastPass(context.Background())
		if err != nil {
			return err
		}
		for id := p.ID; id > 0; id-- {
			q, err := db.FindPassByID(context.Background(), id)
			if err == nil && q.Trigger == trigger && !q.FinishedAt.Time().IsZero() {
				return nil
			}
		}
		return fmt.Errorf("no finished %s pass yet", trigger)
	})
}

func specsJSON(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid": "s%03d", "image": "busybox", "command": ["sleep", "infinity"]}`, i)
	}
	return b.String() + "]"
}

func TestServe_SecondDaemonRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	first := e.serve()
	db := e.openDB()
	e.waitPass(db, store.TriggerStartup)
	second := e.serve()
	if code := second.wait(t); code != ExitUsage {
		t.Fatalf("second serve exit %d, want %d", code, ExitUsage)
	}
	msg := second.stderr.String()
	if want := fmt.Sprintf("pid %d", first.cmd.Process.Pid); !strings.Contains(msg, want) {
		t.Fatalf("second serve's error does not name %q: %s", want, msg)
	}
}

// TestServe_SIGTERMKeepsInstances stops the daemon with SIGTERM: instances
// keep running, and the next daemon adopts them rather than launching.
func TestServe_SIGTERMKeepsInstances(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(specsJSON(3), "apply", "-f", "-")
	d := e.serve()
	before := e.waitRunning(3)
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; log:\n%s", code, d.stderr.String())
	}
	if !strings.Contains(d.stderr.String(), "instances keep running") {
		t.Errorf("no shutdown message in the log:\n%s", d.stderr.String())
	}
	after := e.waitRunning(3)
	for i := range before {
		if after[i].ID != before[i].ID {
			t.Fatalf("instance %s replaced by %s across SIGTERM", before[i].ID, after[i].ID)
		}
	}
	db := e.openDB()
	evs, _ := db.FindEvents(context.Background(), store.EventFilter{})
	last := evs[len(evs)-1].ID
	e.serve()
	poll(t, func() error {
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
	e.serve()
	db := e.openDB()
	e.waitPass(db, store.TriggerStartup)
	start := time.Now()
	cmd := e.command("apply", "-f", "-")
	cmd.Stdin = strings.NewReader(`{"uid": "a", "image": "busybox"}`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v: %s", err, out)
	}
	e.waitRunning(1)
	t.Logf("apply to running instance: %s", time.Since(start))
	e.waitPass(db, store.TriggerChange)
}

func TestServe_SIGHUPAndReconcile(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	d := e.serve()
	db := e.openDB()
	e.waitPass(db, store.TriggerStartup)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	e.waitPass(db, store.TriggerManual)
	out, err := e.command("reconcile").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "by the daemon") {
		t.Fatalf("reconcile through the daemon: %v:\n%s", err, out)
	}
}

// TestServe_SIGKILLWhileConverging kills the daemon in the middle of
// launching 50 specs on a slow simulated runtime, starts it again, and checks
// that it converges: one running instance per uid, no orphans, every spec kept.
func TestServe_SIGKILLWhileConverging(t *testing.T) {
	e := newTestEnv(t, "concurrency = 2\n", `latency = "40ms"`)
	e.mustRun(specsJSON(50), "apply", "-f", "-")
	d := e.serve()
	poll(t, func() error {
		if n := len(e.hostList()); n < 5 {
			return fmt.Errorf("%d launched", n)
		}
		return nil
	})
	if err := d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	d.wait(t)
	n := len(e.hostList())
	if n >= 50 {
		t.Fatalf("the daemon finished converging (%d) before it was killed; the test proves nothing", n)
	}
	t.Logf("killed with %d of 50 launched", n)
	e.serve()
	list := e.waitRunning(50)
	db := e.openDB()
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
	out := &syncBuffer{}
	cmd := e.command("events", "--follow", "--json")
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	poll(t, func() error {
		if !strings.Contains(out.String(), `"kind":"spec_created"`) {
			return errors.New("no spec_created yet")
		}
		return nil
	})
	e.mustRun("", "delete", "a") // written after follow started
	poll(t, func() error {
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
	case <-time.After(waitTimeout):
		t.Fatalf("events --follow did not exit within %s of SIGINT; output:\n%s", waitTimeout, out.String())
	}
}

// TestServe_SecondDaemonThroughSymlinkRefused serves one file under two
// paths: the second daemon meets the first one's lock and exits 2 naming it.
func TestServe_SecondDaemonThroughSymlinkRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	first := e.serve()
	e.waitPass(e.openDB(), store.TriggerStartup)
	link := filepath.Join(e.dir, "link.db")
	if err := os.Symlink(e.db, link); err != nil {
		t.Fatal(err)
	}
	other := *e
	other.config = filepath.Join(e.dir, "other.toml")
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other.config, []byte(strings.Replace(string(cfg), fmt.Sprintf("%q", e.db), fmt.Sprintf("%q", link), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	second := other.serve()
	if code := second.wait(t); code != ExitUsage {
		t.Fatalf("second serve through a symlink exit %d, want %d:\n%s", code, ExitUsage, second.stderr.String())
	}
	if want := fmt.Sprintf("pid %d", first.cmd.Process.Pid); !strings.Contains(second.stderr.String(), want) {
		t.Fatalf("second serve's error does not name %q: %s", want, second.stderr.String())
	}
}

// TestServe_DatabaseDeletedUnderDaemon unlinks the database while serve
// runs: the daemon notices by itself (it watches the path) and exits
// non-zero without writing a new database; and apply, while a daemon holds
// the lock of a path with no database, refuses to create one.
func TestServe_DatabaseDeletedUnderDaemon(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	e.mustRun(specsJSON(2), "apply", "-f", "-")
	d := e.serve()
	e.waitPass(e.openDB(), store.TriggerStartup)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(e.db + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if code := d.wait(t); code == 0 {
		t.Fatalf("serve exited 0 on a deleted database:\n%s", d.stderr.String())
	}
	if !strings.Contains(d.stderr.String(), "deleted or replaced") {
		t.Fatalf("serve's log does not say why it stopped:\n%s", d.stderr.String())
	}
	if _, err := os.Stat(e.db); !os.IsNotExist(err) {
		t.Fatalf("serve wrote a new database: %v", err)
	}

	lock, err := acquireLock(e.db) // a daemon still on its way out holds it
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.release() }()
	cmd := e.command("apply", "-f", "-") // another process: the lock is per open file
	cmd.Stdin = strings.NewReader(specsJSON(3))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "holds its lock") {
		t.Fatalf("apply beside an orphaned lock: %v, %s; want a refusal naming the lock", err, out)
	}
	if _, err := os.Stat(e.db); !os.IsNotExist(err) {
		t.Fatalf("a new database was created: %v", err)
	}
}
