package supervisor_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// untilFake is the fake as a runtime.UntilLogger (as podman is) whose Logs
// reads only once the start in place has answered: a read that the start
// waited for would wait its whole timeout and keep nothing.
type untilFake struct {
	*fake.Runtime
	answered chan struct{} // closed when Start has answered
	mu       sync.Mutex
	opts     []runtime.LogOptions
	read     bool      // a Logs call has returned
	startAt  time.Time // when Start was called
}

func (u *untilFake) LogsUntil(context.Context) bool { return true }

func (u *untilFake) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	u.mu.Lock()
	u.opts = append(u.opts, opts)
	u.mu.Unlock()
	select {
	case <-u.answered:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { u.mu.Lock(); u.read = true; u.mu.Unlock() }()
	return u.Runtime.Logs(ctx, id, opts, w)
}

func newUntilFake(t *testing.T, startErr error) (*supervisor.Supervisor, *untilFake) {
	s, rt, _ := MustNewSupervisor(t)
	u := &untilFake{Runtime: rt, answered: make(chan struct{})}
	s.Runtime = u
	s.Policy.BackoffInitial = 0
	s.LogCapture.TailLines = 1
	rt.StartFunc = func(ctx context.Context, id runtime.InstanceID) error {
		u.mu.Lock()
		u.startAt = time.Now()
		u.mu.Unlock()
		defer close(u.answered)
		if startErr != nil {
			return startErr
		}
		return rt.Real().Start(ctx, id)
	}
	rt.RemoveFunc = func(ctx context.Context, uid string) error {
		u.mu.Lock()
		defer u.mu.Unlock()
		if !u.read {
			t.Error("removed before its output was read")
		}
		return rt.Real().Remove(ctx, uid)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Image: "busybox", Command: []string{"sleep", "infinity"}})
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := rt.Print("web", "first run", "fatal: boom"); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("web", 2); err != nil {
		t.Fatal(err)
	}
	return s, u
}

// TestSupervisor_CrashLogAfterStart: on a runtime that keeps output across
// a start in place and can cut it at a time, the relaunch does not wait for
// the crash log's read: it follows the start, stops at the moment before
// it, asks for twice the tail (the new run's lines take places in podman's
// tail) and keeps tail_lines. When the start fails, the read comes before
// the removal that follows.
func TestSupervisor_CrashLogAfterStart(t *testing.T) {
	for _, c := range []struct {
		name     string
		startErr error
	}{{"started in place", nil}, {"start refused, removed and run", errors.New("start refused")}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, u := newUntilFake(t, c.startErr)
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			logs, err := s.DB.FindCrashLogs(ctx, "web", 0)
			if err != nil || len(logs) != 1 || logs[0].Text != "fatal: boom\n" {
				t.Fatalf("crash logs %+v (%v), want the first run's last line", logs, err)
			}
			if len(u.opts) != 1 || u.opts[0].Until.IsZero() || u.opts[0].Until.After(u.startAt) || u.opts[0].Tail != 2 {
				t.Fatalf("logs read with %+v (start at %v), want one read up to the start with twice the tail", u.opts, u.startAt)
			}
			if in := findInstance(t, u.Runtime, "web"); in.State != runtime.StateRunning {
				t.Fatalf("web %s, want running again", in.State)
			}
		})
	}
}
