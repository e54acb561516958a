package supervisor_test

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// probedHost is one simulated host and one database file outliving the
// veloslet processes run on them, each a supervisor with its prober. A
// crash is a SIGKILL: the process's prober stops, its database handle
// closes with what was committed, a pass frozen at a crash point never
// resumes; a new process then opens the same file. The fake keeps wall
// time, as the prober does, so start periods are measured as they would
// be.
type probedHost struct {
	t    *testing.T
	path string
	rt   *fake.Runtime
	s    *supervisor.Supervisor
	p    *supervisor.Prober
	kill func() // this process's death
	// hook, if set, says whether the process dies at this crash point.
	hook  func(supervisor.CrashPoint, *supervisor.Action) bool
	dieCh chan struct{}
	// boot is the host's boot time, as every process reads it.
	boot time.Time

	mu      sync.Mutex
	runs    map[string]int // containers created per uid, over every process
	starts  map[string]int // starts in place per uid
	clashes []string       // runs asked for a uid whose container existed
	events  []*store.Event // the event log at each crash, for "nothing lost"
}

func newProbedHost(t *testing.T) *probedHost {
	h := &probedHost{t: t, path: filepath.Join(t.TempDir(), "veloslet.db"), rt: fake.New(),
		boot: time.Now().Add(-time.Hour), runs: map[string]int{}, starts: map[string]int{}}
	storetest.MustSeedMigrated(t, h.path)
	h.rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		if countOf(h.rt.Real(), spec.UID) > 0 {
			h.mu.Lock()
			h.clashes = append(h.clashes, spec.UID)
			h.mu.Unlock()
		}
		id, err := h.rt.Real().Run(ctx, spec)
		if err == nil {
			h.mu.Lock()
			h.runs[spec.UID]++
			h.mu.Unlock()
		}
		return id, err
	}
	h.rt.StartFunc = func(ctx context.Context, id runtime.InstanceID) error {
		err := h.rt.Real().Start(ctx, id)
		if err == nil {
			h.mu.Lock()
			h.starts[uidOf(h.rt.Real(), id)]++
			h.mu.Unlock()
		}
		return err
	}
	h.start()
	return h
}

// start runs a new process on the file: a supervisor, its prober.
func (h *probedHost) start() {
	db, err := store.Open(context.Background(), h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	s := supervisor.New(db, h.rt)
	s.Logger, s.AdoptOnStart, s.Concurrency = quiet, true, 1
	s.Policy.BackoffInitial, s.Policy.Jitter = 0, 0
	boot := h.boot
	s.BootTime = func() (time.Time, error) { return boot, nil }
	p := supervisor.NewProber(h.rt)
	s.Prober = p
	ctx, cancel := context.WithCancel(context.Background())
	proberDone := make(chan struct{})
	go func() { p.Run(ctx); close(proberDone) }()

	release, died := make(chan struct{}), make(chan struct{})
	var dead bool
	s.SetCrashHook(func(pt supervisor.CrashPoint, a *supervisor.Action) {
		h.mu.Lock()
		if !dead && (h.hook == nil || !h.hook(pt, a)) {
			h.mu.Unlock()
			return
		}
		if !dead {
			dead = true
			close(died)
		}
		h.mu.Unlock()
		<-release // frozen: nothing after this point happens in this process
	})
	var once sync.Once
	h.kill = func() {
		once.Do(func() {
			cancel() // its probes end with it; nothing of them was written
			_ = db.Close()
		})
	}
	h.t.Cleanup(func() {
		h.kill()
		close(release)
		<-proberDone
	})
	h.s, h.p, h.dieCh = s, p, died
}

// crash kills the process between passes and starts a new one.
func (h *probedHost) crash() {
	h.events = append(h.events, h.allEvents()...)
	h.kill()
	h.start()
}

// pass runs one pass. If the process dies in it (hook), the log as the
// death left it is kept and a new process starts; the result is then nil.
func (h *probedHost) pass() *supervisor.PassResult {
	h.t.Helper()
	type out struct {
		res *supervisor.PassResult
		err error
	}
	done := make(chan out, 1)
	s := h.s
	go func() {
		res, err := s.Pass(context.Background(), supervisor.PassOptions{Trigger: store.TriggerManual})
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil {
			h.t.Fatalf("pass: %v", o.err)
		}
		return o.res
	case <-h.dieCh:
		h.events = append(h.events, h.allEvents()...)
		h.kill()
		h.mu.Lock()
		h.hook = nil // the new process runs on
		h.mu.Unlock()
		h.start()
		return nil
	}
}

// passUntil runs passes until ok holds, or fails at the deadline.
func (h *probedHost) passUntil(ok func(*supervisor.PassResult) error) {
	h.t.Helper()
	storetest.RetryUntil(h.t, 20*time.Millisecond, 10*time.Second, func() error {
		return ok(h.pass())
	})
}

func (h *probedHost) allEvents() []*store.Event {
	h.t.Helper()
	evs, err := h.s.DB.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *probedHost) eventsOf(uid string, kind store.EventKind) []*store.Event {
	var out []*store.Event
	for _, ev := range h.allEvents() {
		if ev.UID == uid && ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (h *probedHost) record(uid string) *store.Instance {
	h.t.Helper()
	return instanceOf(h.t, h.s.DB, uid)
}

// check asserts what no crash may break: each uid created as often as
// wanted (no duplicate, none lost), never over a container that existed,
// and every event a dead process committed still there.
func (h *probedHost) check(wantRuns map[string]int) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for uid, n := range wantRuns {
		if h.runs[uid] != n {
			h.t.Errorf("%s created %d times, want %d (runs %v)", uid, h.runs[uid], n, h.runs)
		}
		if c := countOf(h.rt.Real(), uid); c != 1 {
			h.t.Errorf("%s has %d containers, want 1", uid, c)
		}
	}
	if len(h.clashes) > 0 {
		h.t.Errorf("runs asked for uids whose container existed: %v", h.clashes)
	}
	now := h.allEvents()
	for _, ev := range h.events {
		if !slices.ContainsFunc(now, func(e *store.Event) bool { return e.ID == ev.ID && e.Kind == ev.Kind && e.UID == ev.UID }) {
			h.t.Errorf("event %d (%s %s) lost", ev.ID, ev.UID, ev.Kind)
		}
	}
}

// afterRetries matches an unhealthy event's reason for a check of two
// retries: the prober counts on while the pass that acts is under way, so
// a loaded machine may write (3/2).
var afterRetries = regexp.MustCompile(`^unhealthy \(([2-9]|\d\d+)/2\): `)
