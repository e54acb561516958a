// Package supervisortest holds the crash-recovery scenarios every runtime
// backend must survive. A "crash" drops a supervisor and its database handle
// without any clean-up while the runtime (the host) lives on; a new
// supervisor is then opened on the same database file.
package supervisortest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// errCrash is what a hooked runtime call returns after simulating a crash.
var errCrash = errors.New("simulated crash")

// hooked wraps a runtime and calls a hook after a method succeeds, so a test
// can crash the supervisor at that exact point, whatever the backend.
type hooked struct {
	runtime.Runtime
	afterRun    func() error
	afterRemove func() error
	list        func(ctx context.Context) ([]runtime.Instance, error)
}

func (h *hooked) Run(ctx context.Context, s runtime.RunSpec) (runtime.InstanceID, error) {
	id, err := h.Runtime.Run(ctx, s)
	if err == nil && h.afterRun != nil {
		return id, h.afterRun()
	}
	return id, err
}

func (h *hooked) Remove(ctx context.Context, uid string) error {
	err := h.Runtime.Remove(ctx, uid)
	if err == nil && h.afterRemove != nil {
		return h.afterRemove()
	}
	return err
}

// RemoveVolumes passes through to the runtime's, when it has one: the
// wrapper must not hide it from the supervisor.
func (h *hooked) RemoveVolumes(ctx context.Context, uid string) error {
	if vr, ok := h.Runtime.(runtime.VolumeRemover); ok {
		return vr.RemoveVolumes(ctx, uid)
	}
	return nil
}

func (h *hooked) List(ctx context.Context) ([]runtime.Instance, error) {
	if h.list != nil {
		return h.list(ctx)
	}
	return h.Runtime.List(ctx)
}

// env is one host (a runtime harness) and one database file, across crashes.
type env struct {
	t     *testing.T
	h     *runtimetest.Harness
	path  string
	clock *storetest.Clock
	db    *store.DB
	sup   *supervisor.Supervisor
	rt    *hooked
	dead  bool // the database handle was closed by a simulated crash
	// host is the backend the supervisor and list use: h.Runtime, or one
	// the scenario reopened with another prefix or this store's id.
	host runtime.Runtime
}

func newEnv(t *testing.T, h *runtimetest.Harness) *env {
	e := &env{t: t, h: h, path: filepath.Join(t.TempDir(), "veloslet.db"), clock: storetest.NewClock(), host: h.Runtime}
	t.Cleanup(func() {
		// Leave the host as we found it: remove every instance of ours.
		for _, rt := range []runtime.Runtime{h.Runtime, e.host} {
			list, _ := rt.List(context.Background())
			for _, in := range list {
				_ = rt.RemoveInstance(context.Background(), in.ID)
			}
		}
	})
	storetest.MustSeedMigrated(t, e.path) // a new file, without migrating it again
	e.start()
	return e
}

// start opens the database and a new supervisor over the host's runtime.
func (e *env) start() {
	e.t.Helper()
	db, err := store.Open(context.Background(), e.path)
	if err != nil {
		e.t.Fatalf("open: %v", err)
	}
	e.t.Cleanup(func() { _ = db.Close() })
	db.Now = e.clock.Now
	e.db, e.rt, e.dead = db, &hooked{Runtime: e.host}, false
	e.sup = supervisor.New(db, e.rt)
	e.sup.Concurrency = 2
	e.sup.AdoptOnStart = true
	e.sup.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
}

// crash drops the supervisor without any clean-up. Closing the handle is
// what the process's death does to the file: committed transactions stay,
// nothing else is written.
func (e *env) crash() {
	e.die()
	e.db, e.sup, e.rt = nil, nil, nil
}

// die closes the database handle as the process's death would; hooks call
// it in the middle of a pass.
func (e *env) die() {
	_ = e.db.Close()
	e.dead = true
}

// restart is a crash followed by a start.
func (e *env) restart() {
	e.crash()
	e.start()
}

func (e *env) apply(specs ...store.Spec) {
	e.t.Helper()
	storetest.MustApply(e.t, e.db, specs...)
}

// pass runs one pass and returns the events it wrote.
func (e *env) pass() []*store.Event {
	e.t.Helper()
	res, err := e.sup.Pass(context.Background(), supervisor.PassOptions{Trigger: store.TriggerStartup})
	if err != nil {
		e.t.Logf("pass: %v", err)
	}
	if res == nil {
		e.t.Fatalf("pass did not run: %v", err)
	}
	if e.dead {
		return nil
	}
	return e.passEvents(res.ID)
}

func (e *env) passEvents(id int64) []*store.Event {
	evs, err := e.db.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*store.Event
	for _, ev := range evs {
		if ev.PassID != nil && *ev.PassID == id {
			out = append(out, ev)
		}
	}
	return out
}

// list returns the host's instances of ours by uid, failing on duplicates.
func (e *env) list() map[string]runtime.Instance {
	e.t.Helper()
	list, err := e.host.List(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]runtime.Instance{}
	for _, in := range list {
		if _, dup := out[in.UID]; dup {
			e.t.Fatalf("two instances for uid %s", in.UID)
		}
		out[in.UID] = in
	}
	return out
}

// exit makes uid exit with code and waits until the runtime shows it.
func (e *env) exit(uid string, code int) {
	e.t.Helper()
	e.h.Exit(e.t, uid, code)
	e.h.WaitState(e.t, uid, runtime.StateExited)
}

func (e *env) record(uid string) *store.Instance {
	e.t.Helper()
	recs, err := storetest.FindInstances(context.Background(), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range recs {
		if r.UID == uid {
			return r
		}
	}
	return nil
}

func (e *env) specs(uids ...string) []store.Spec {
	out := make([]store.Spec, 0, len(uids))
	for _, uid := range uids {
		out = append(out, store.Spec{UID: uid, Container: spec.Container{Image: e.h.Image, Command: e.h.Command}})
	}
	return out
}

func kinds(evs []*store.Event, uid string) []store.EventKind {
	var out []store.EventKind
	for _, ev := range evs {
		if uid == "" || ev.UID == uid {
			out = append(out, ev.Kind)
		}
	}
	return out
}

func has(evs []*store.Event, uid string, kind store.EventKind) bool {
	for _, k := range kinds(evs, uid) {
		if k == kind {
			return true
		}
	}
	return false
}
