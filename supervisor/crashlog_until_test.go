package supervisor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// untilFake is the fake as a runtime.UntilLogger whose Logs behaves as
// podman 4.3's: it takes the tail of the whole output first, then leaves
// out what the new run wrote after the start. A read that the start waited
// for would find the start not yet answered and fail the test.
type untilFake struct {
	*fake.Runtime
	t        *testing.T
	newRun   []string // what the new run prints as it starts
	failRead int      // the read (counted from 1) that fails; 0: none
	mu       sync.Mutex
	opts     []runtime.LogOptions
	read     bool      // a Logs call has returned
	startAt  time.Time // when Start was called
	cutAt    int       // lines written before the start; -1 before it
}

func (u *untilFake) LogsUntil(context.Context) bool { return true }

func (u *untilFake) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	u.mu.Lock()
	u.opts = append(u.opts, opts)
	n, cut := len(u.opts), u.cutAt
	u.mu.Unlock()
	defer func() { u.mu.Lock(); u.read = true; u.mu.Unlock() }()
	if n == u.failRead {
		return errors.New("logs: runtime hung up")
	}
	if !opts.Until.IsZero() && cut < 0 {
		u.t.Error("read up to the start before the start")
	}
	var all bytes.Buffer
	if err := u.Runtime.Logs(ctx, id, runtime.LogOptions{}, &all); err != nil {
		return err
	}
	lines := strings.SplitAfter(all.String(), "\n")
	lines = lines[:len(lines)-1]
	from := 0
	if opts.Tail > 0 && len(lines) > opts.Tail {
		from = len(lines) - opts.Tail
	}
	to := len(lines)
	if !opts.Until.IsZero() && cut >= 0 {
		to = min(to, cut)
	}
	for i := from; i < to; i++ {
		if _, err := io.WriteString(w, lines[i]); err != nil {
			return err
		}
	}
	return nil
}

func newUntilFake(t *testing.T, startErr error, newRun ...string) (*supervisor.Supervisor, *untilFake) {
	s, rt, _ := MustNewSupervisor(t)
	u := &untilFake{Runtime: rt, t: t, newRun: newRun, cutAt: -1}
	s.Runtime = u
	s.Policy.BackoffInitial = 0
	s.LogCapture.TailLines = 2
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Image: "busybox", Command: []string{"sleep", "infinity"}})
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	rt.StartFunc = func(ctx context.Context, id runtime.InstanceID) error {
		var all bytes.Buffer
		if err := rt.Real().Logs(ctx, id, runtime.LogOptions{}, &all); err != nil {
			return err
		}
		u.mu.Lock()
		u.startAt, u.cutAt = time.Now(), strings.Count(all.String(), "\n")
		u.mu.Unlock()
		if startErr != nil {
			return startErr
		}
		if err := rt.Real().Start(ctx, id); err != nil {
			return err
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
// it. Podman takes its tail before it cuts, so the read asks for twice the
// tail, and reads all the output up to the start when the new run's lines
// left fewer than tail_lines of the crashed run's in it. When the start
// fails, the read comes before the removal that follows; when the second
// read fails, the first one's lines are kept.
func TestSupervisor_CrashLogAfterStart(t *testing.T) {
	quiet, loud := []string{"new run"}, []string{"new 1", "new 2", "new 3", "new 4"}
	for _, c := range []struct {
		name     string
		startErr error
		newRun   []string
		failRead int
		want     string
		tails    []int // the Tail of each read
	}{
		{"new run quiet: one read", nil, quiet, 0, "still going\nfatal: boom\n", []int{4}},
		{"new run filled the tail: all up to the start", nil, loud, 0, "still going\nfatal: boom\n", []int{4, 0}},
		{"second read fails: the first one's lines", nil, loud[:3], 2, "fatal: boom\n", []int{4, 0}},
		{"start refused, removed and run", errors.New("start refused"), nil, 0, "still going\nfatal: boom\n", []int{4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, u := newUntilFake(t, c.startErr, c.newRun...)
			u.failRead = c.failRead
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			logs, err := s.DB.FindCrashLogs(ctx, "web", 0)
			if err != nil || len(logs) != 1 || logs[0].Text != c.want {
				t.Fatalf("crash logs %+v (%v), want one with %q", logs, err, c.want)
			}
			var tails []int
			for _, o := range u.opts {
				if o.Until.IsZero() || o.Until.After(u.startAt) {
					t.Fatalf("logs read with %+v, want up to the start at %v", o, u.startAt)
				}
				tails = append(tails, o.Tail)
			}
			if !slices.Equal(tails, c.tails) {
				t.Fatalf("reads with tails %v, want %v", tails, c.tails)
			}
			if in := findInstance(t, u.Runtime, "web"); in.State != runtime.StateRunning {
				t.Fatalf("web %s, want running again", in.State)
			}
		})
	}
}
