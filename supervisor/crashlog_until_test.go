package supervisor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// untilFake is the fake as a runtime.UntilLogger, as podman is: its Logs
// leaves out what was written after the start when asked to (Until), then
// takes the tail. A read up to the start made before the start fails the
// test.
type untilFake struct {
	*fake.Runtime
	t       *testing.T
	local   bool     // what LogsUntil answers
	newRun  []string // what the new run prints as it starts
	onStart func()   // called as the start succeeds
	mu      sync.Mutex
	opts    []runtime.LogOptions
	after   []bool    // whether each read came after the start
	read    bool      // a Logs call has returned
	started bool      // Start has been called
	startAt time.Time // when Start was called
	cutAt   int       // lines written before the start
}

func (u *untilFake) LogsUntil(context.Context) bool { return u.local }

func (u *untilFake) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	u.mu.Lock()
	u.opts, u.after = append(u.opts, opts), append(u.after, u.started)
	started, cut := u.started, u.cutAt
	u.mu.Unlock()
	defer func() { u.mu.Lock(); u.read = true; u.mu.Unlock() }()
	if !opts.Until.IsZero() && !started {
		u.t.Error("read up to the start before the start")
	}
	var all bytes.Buffer
	if err := u.Runtime.Logs(ctx, id, runtime.LogOptions{}, &all); err != nil {
		return err
	}
	lines := strings.SplitAfter(all.String(), "\n")
	lines = lines[:len(lines)-1]
	if !opts.Until.IsZero() {
		lines = lines[:min(len(lines), cut)]
	}
	if opts.Tail > 0 && len(lines) > opts.Tail {
		lines = lines[len(lines)-opts.Tail:]
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}

func newUntilFake(t *testing.T, local bool, startErr error, newRun ...string) (*supervisor.Supervisor, *untilFake) {
	s, rt, _ := MustNewSupervisor(t)
	u := &untilFake{Runtime: rt, t: t, local: local, newRun: newRun}
	s.Runtime = u
	s.Policy.BackoffInitial = 0
	s.LogCapture.TailLines = 2
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Container: vspec.Container{Image: "busybox", Command: []string{"sleep", "infinity"}}})
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt.StartFunc = func(ctx context.Context, id runtime.InstanceID) error {
		var all bytes.Buffer
		if err := rt.Real().Logs(ctx, id, runtime.LogOptions{}, &all); err != nil {
			return err
		}
		u.mu.Lock()
		u.started, u.startAt, u.cutAt = true, time.Now(), strings.Count(all.String(), "\n")
		u.mu.Unlock()
		if startErr != nil {
			return startErr
		}
		if err := rt.Real().Start(ctx, id); err != nil {
			return err
		}
		if u.onStart != nil {
			u.onStart()
		}
		return rt.Print("web", u.newRun...)
	}
	rt.RemoveFunc = func(ctx context.Context, uid string) error {
		u.mu.Lock()
		defer u.mu.Unlock()
		if !u.read {
			t.Error("removed before its output was read")
		}
		return rt.Real().Remove(ctx, uid)
	}
	if err := rt.Print("web", "first run", "still going", "fatal: boom"); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("web", 2); err != nil {
		t.Fatal(err)
	}
	return s, u
}

// TestSupervisor_CrashLogAfterStart: on a runtime that keeps output across
// a start in place and can cut it at a time, the relaunch does not wait for
// the crash log's read: it follows the start and stops at the moment before
// it, so the new run's lines are not kept. When the start fails, the read
// comes before the removal that follows; when the runtime's clock is not
// this host's (LogsUntil false), before the start.
func TestSupervisor_CrashLogAfterStart(t *testing.T) {
	loud := []string{"new 1", "new 2", "new 3"}
	for _, c := range []struct {
		name     string
		local    bool
		startErr error
		until    bool // the read is cut at the start
	}{
		{"started in place", true, nil, true},
		{"start refused, removed and run", true, errors.New("start refused"), true},
		{"another host's clock: read before the start", false, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, u := newUntilFake(t, c.local, c.startErr, loud...)
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			logs, err := s.DB.FindCrashLogs(ctx, "web", 0)
			if want := "still going\nfatal: boom\n"; err != nil || len(logs) != 1 || logs[0].Text != want {
				t.Fatalf("crash logs %+v (%v), want one with %q", logs, err, want)
			}
			if len(u.opts) != 1 || u.opts[0].Tail != 2 || u.opts[0].Until.IsZero() == c.until || u.opts[0].Until.After(u.startAt) || u.after[0] != c.until {
				t.Fatalf("logs read with %+v (start at %v; after it: %v), want one read of 2 lines, after the start and cut there: %v",
					u.opts, u.startAt, u.after, c.until)
			}
			if in := findInstance(t, u.Runtime, "web"); in.State != runtime.StateRunning {
				t.Fatalf("web %s, want running again", in.State)
			}
		})
	}
}

// TestSupervisor_CrashLogAfterStartStopped: a stop that comes as the start
// in place succeeds does not cut the read after it short (it is the old
// run's output's last chance); a stop before the start reads nothing, as
// the next pass finds the instance still exited and reads it then.
func TestSupervisor_CrashLogAfterStartStopped(t *testing.T) {
	for _, c := range []struct {
		name    string
		started bool
	}{{"stopped as it started", true}, {"stopped before the start", false}} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, u := newUntilFake(t, true, nil)
			u.onStart = cancel
			if !c.started {
				u.Runtime.StartFunc = func(context.Context, runtime.InstanceID) error { cancel(); return context.Canceled }
			}
			_ = s.Reconcile(ctx) // stopped: its error says so
			logs, err := s.DB.FindCrashLogs(context.Background(), "web", 0)
			if err != nil {
				t.Fatal(err)
			}
			if kept := len(logs) == 1 && logs[0].Text == "still going\nfatal: boom\n"; kept != c.started || len(u.opts) != len(logs) {
				t.Fatalf("crash logs %+v after %d reads, want the old run's kept: %v", logs, len(u.opts), c.started)
			}
		})
	}
}
