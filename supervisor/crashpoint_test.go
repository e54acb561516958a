package supervisor_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// site is one crash point as met by one kind of action ("" for the pass's
// own points).
type site struct {
	point supervisor.CrashPoint
	kind  supervisor.ActionKind
}

func (s site) String() string {
	if s.kind == "" {
		return string(s.point)
	}
	return fmt.Sprintf("%s/%s", s.point, s.kind)
}

// TestCrashPoints runs the scripted scenario once to find every site it
// meets, then once per site, freezing the pass there as a dead process and
// carrying on with a new supervisor on the same file and runtime.
func TestCrashPoints(t *testing.T) {
	var sites []site
	dry := newCrashEnv(t)
	dry.hook = func(p supervisor.CrashPoint, a *supervisor.Action) bool {
		s := site{point: p}
		if a != nil {
			s.kind = a.Kind
		}
		if !slices.Contains(sites, s) {
			sites = append(sites, s)
		}
		return false
	}
	dry.script()
	dry.check()
	for _, p := range supervisor.CrashPoints {
		if !slices.ContainsFunc(sites, func(s site) bool { return s.point == p }) {
			t.Errorf("the script never meets crash point %s", p)
		}
	}
	t.Logf("%d crash sites: %v", len(sites), sites)
	for _, target := range sites {
		t.Run(target.String(), func(t *testing.T) {
			e := newCrashEnv(t)
			e.hook = func(p supervisor.CrashPoint, a *supervisor.Action) bool {
				return p == target.point && (a == nil && target.kind == "" || a != nil && a.Kind == target.kind)
			}
			e.script()
			if !e.crashed {
				t.Fatalf("never crashed at %s", target)
			}
			e.check()
		})
	}
}

// crashEnv is one database file and one simulated host, outliving the
// supervisors ("processes") that run on them.
type crashEnv struct {
	t       *testing.T
	path    string
	rt      *fake.Runtime
	clock   *storetest.Clock
	s       *supervisor.Supervisor
	hook    func(supervisor.CrashPoint, *supervisor.Action) bool // true: die here
	crashed bool
	dieCh   chan struct{}

	mu      sync.Mutex
	runs    map[string]int // successful runs per uid over every process
	starts  map[string]int // successful starts in place per uid
	clashes []string       // runs asked for a uid whose container existed
	foreign runtime.InstanceID
	events  []*store.Event // the event log as the crashed process left it
}

const crashStore = "other-store"

func newCrashEnv(t *testing.T) *crashEnv {
	e := &crashEnv{t: t, path: filepath.Join(t.TempDir(), "veloslet.db"), rt: fake.New(),
		clock: storetest.NewClock(), runs: map[string]int{}, starts: map[string]int{}}
	storetest.MustSeedMigrated(t, e.path)
	e.rt.Now = e.clock.Now
	e.rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		if countOf(e.rt.Real(), spec.UID) > 0 {
			e.mu.Lock()
			e.clashes = append(e.clashes, spec.UID)
			e.mu.Unlock()
		}
		id, err := e.rt.Real().Run(ctx, spec)
		if err == nil {
			e.mu.Lock()
			e.runs[spec.UID]++
			e.mu.Unlock()
		}
		return id, err
	}
	e.rt.StartFunc = func(ctx context.Context, id runtime.InstanceID) error {
		err := e.rt.Real().Start(ctx, id)
		if err == nil {
			e.mu.Lock()
			e.starts[uidOf(e.rt.Real(), id)]++
			e.mu.Unlock()
		}
		return err
	}
	foreign := runtime.RunSpec{UID: "zz", Container: vspec.Container{Image: "busybox"}, StoreID: crashStore, Generation: 1, SpecHash: "h"}
	id, err := e.rt.Real().Run(context.Background(), foreign)
	if err != nil {
		t.Fatal(err)
	}
	e.foreign = id
	e.start()
	return e
}

// start opens a new supervisor on the env's file, as a restarted daemon does.
func (e *crashEnv) start() {
	db, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	db.Now = e.clock.Now
	s := supervisor.New(db, e.rt)
	s.Logger, s.AdoptOnStart, s.Concurrency = quiet, true, 1
	s.Policy.BackoffInitial, s.Policy.Jitter = 0, 0
	release := make(chan struct{})
	died := make(chan struct{})
	var dead bool // this process has died: every goroutine of it freezes
	s.SetCrashHook(func(p supervisor.CrashPoint, a *supervisor.Action) {
		e.mu.Lock()
		if !dead && (e.crashed || e.hook == nil || !e.hook(p, a)) {
			e.mu.Unlock()
			return
		}
		if !dead {
			dead, e.crashed = true, true
			close(died)
		}
		e.mu.Unlock()
		<-release // frozen: nothing after this point happens in this process
	})
	e.s = s
	e.t.Cleanup(func() {
		_ = db.Close() // a frozen pass that resumes can no longer write
		close(release)
	})
	e.dieCh = died
}

// pass runs one pass; if the process dies in it, the env records the event
// log as the death left it and starts a new supervisor.
func (e *crashEnv) pass() {
	e.t.Helper()
	done := make(chan error, 1)
	s := e.s
	go func() {
		_, err := s.Pass(context.Background(), supervisor.PassOptions{Trigger: store.TriggerManual})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			e.t.Fatalf("pass: %v", err)
		}
	case <-e.dieCh:
		e.events = e.allEvents(s.DB)
		e.start()
	}
}

var steady = func() []string {
	var out []string
	for i := range 15 {
		out = append(out, fmt.Sprintf("s%02d", i))
	}
	return out
}()

func crashSpec(uid, image string, restart store.RestartPolicy) store.Spec {
	return store.Spec{UID: uid, Container: vspec.Container{Image: image, Command: []string{"sleep", "infinity"}}, Restart: restart}
}

// script: launch everything; then one pass that relaunches a crash (a),
// records a clean exit (b), stops (c), replaces a changed spec (d) and
// removes the instance of a deleted one (e). Each step converges before
// the next, with whichever supervisor is alive.
func (e *crashEnv) script() {
	ctx := context.Background()
	all := []store.Spec{crashSpec("a", "busybox", store.RestartAlways), crashSpec("b", "busybox", store.RestartOnFailure),
		crashSpec("c", "busybox", store.RestartAlways), crashSpec("d", "busybox", store.RestartAlways),
		crashSpec("e", "busybox", store.RestartAlways)}
	for _, uid := range steady {
		all = append(all, crashSpec(uid, "busybox", store.RestartAlways))
	}
	storetest.MustApply(e.t, e.s.DB, all...)
	e.pass()
	e.converge()

	for uid, code := range map[string]int{"a": 1, "b": 0} {
		if err := e.rt.SetExited(uid, code); err != nil {
			e.t.Fatal(err)
		}
	}
	storetest.MustApply(e.t, e.s.DB, crashSpec("d", "busybox:2", store.RestartAlways))
	if err := e.s.DB.DeleteSpecs(ctx, "e"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.s.DB.SetDesiredState(ctx, store.DesiredStopped, "c"); err != nil {
		e.t.Fatal(err)
	}
	e.pass()
	e.converge()
}

// converge runs passes until the plan is empty.
func (e *crashEnv) converge() {
	e.t.Helper()
	for range 8 {
		p, err := e.s.Plan(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if len(p.Actions) == 0 {
			return
		}
		e.pass()
	}
	p, _ := e.s.Plan(context.Background())
	e.t.Fatalf("not converged after 8 passes: %+v", p.Actions)
}

func (e *crashEnv) allEvents(db *store.DB) []*store.Event {
	e.t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// check asserts the end state: every spec converged, each uid run exactly as
// often as the script needs and never while its instance existed (a crash
// never led to a second launch; the runtime's unique names would refuse
// one, so the test counts the attempts), no spec
// or event lost, the orphan gone, the foreign instance untouched.
func (e *crashEnv) check() {
	e.t.Helper()
	ctx := context.Background()
	list, err := e.rt.List(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	got := map[string]runtime.Instance{}
	for _, in := range list {
		got[in.UID] = in
	}
	specs, err := e.s.DB.FindSpecs(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	// a's crash is relaunched in place: one run, one start, over every process.
	wantRuns := map[string]int{"a": 1, "b": 1, "c": 1, "d": 2, "e": 1}
	var uids []string
	for _, sp := range specs {
		uids = append(uids, sp.UID)
		in, ok := got[sp.UID]
		switch {
		case sp.UID == "b":
			ok = ok && in.State == runtime.StateExited && in.ExitCode != nil && *in.ExitCode == 0
		case sp.UID == "c":
			ok = !ok || in.State != runtime.StateRunning
		default:
			ok = ok && in.State == runtime.StateRunning && in.Generation() == sp.Generation && in.StoreID() == e.s.DB.StoreID()
			wantRuns[sp.UID] = max(wantRuns[sp.UID], 1)
		}
		if !ok {
			e.t.Errorf("spec %s (generation %d) not converged: %+v", sp.UID, sp.Generation, in)
		}
	}
	if want := append([]string{"a", "b", "c", "d"}, steady...); !slices.Equal(uids, want) {
		e.t.Errorf("specs %v, want %v", uids, want)
	}
	if in, ok := got["e"]; ok {
		e.t.Errorf("orphan of deleted spec e still there: %+v", in)
	}
	if in, ok := got["zz"]; !ok || in.ID != e.foreign || in.StoreID() != crashStore || in.State != runtime.StateRunning {
		e.t.Errorf("foreign instance changed: %+v", in)
	}
	e.mu.Lock()
	if !maps.Equal(e.runs, wantRuns) {
		e.t.Errorf("runs per uid %v, want %v", e.runs, wantRuns)
	}
	if want := map[string]int{"a": 1}; !maps.Equal(e.starts, want) {
		e.t.Errorf("starts in place per uid %v, want %v", e.starts, want)
	}
	if len(e.clashes) > 0 {
		e.t.Errorf("runs asked for uids whose instance existed: %v", e.clashes)
	}
	e.mu.Unlock()
	final := map[int64]*store.Event{}
	for _, ev := range e.allEvents(e.s.DB) {
		final[ev.ID] = ev
	}
	for _, ev := range e.events {
		if f := final[ev.ID]; f == nil || f.Kind != ev.Kind || f.UID != ev.UID {
			e.t.Errorf("event %d (%s %s) lost: now %+v", ev.ID, ev.UID, ev.Kind, f)
		}
	}
}
