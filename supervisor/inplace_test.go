package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

type testEnv struct {
	s  *supervisor.Supervisor
	rt *fake.Runtime
}

func findInstance(t *testing.T, rt *fake.Runtime, uid string) runtime.Instance {
	t.Helper()
	list, err := rt.Real().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.UID == uid {
			return in
		}
	}
	t.Fatalf("%s is not listed", uid)
	return runtime.Instance{}
}

func recordOf(t *testing.T, db *store.DB, uid string) *store.Instance {
	t.Helper()
	recs, err := storetest.FindInstances(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.UID == uid {
			return r
		}
	}
	t.Fatalf("no record for %s", uid)
	return nil
}

// onlyEvent returns the one event of kind, failing if there is not exactly one.
func onlyEvent(t *testing.T, db *store.DB, kind store.EventKind) *store.Event {
	t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d %s events, want 1", len(evs), kind)
	}
	return evs[0]
}

// exitOnce launches uid, makes it exit with code 3, and returns its id.
func exitOnce(t *testing.T, uid string) (*testEnv, runtime.InstanceID) {
	t.Helper()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: uid, Container: vspec.Container{Image: "busybox"}, Restart: store.RestartAlways})
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	in := findInstance(t, rt, uid)
	if err := rt.SetExited(uid, 3); err != nil {
		t.Fatal(err)
	}
	return &testEnv{s: s, rt: rt}, in.ID
}

// TestSupervisor_RelaunchStartsInPlace: a crashed instance whose spec has not
// changed is started again, keeping its id, and the event says so.
func TestSupervisor_RelaunchStartsInPlace(t *testing.T) {
	ctx := context.Background()
	e, id := exitOnce(t, "a")
	if err := e.s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	in := findInstance(t, e.rt, "a")
	if in.ID != id || in.State != runtime.StateRunning {
		t.Fatalf("after the relaunch: %s %s, want %s running (the same container)", in.ID, in.State, id)
	}
	rec := recordOf(t, e.s.DB, "a")
	if rec.RuntimeID != string(id) || rec.State != store.InstanceRunning || rec.RestartCount != 1 || rec.ConsecutiveFailures != 1 {
		t.Fatalf("record %+v, want running %s with 1 restart and 1 failure in a row", rec, id)
	}
	ev := onlyEvent(t, e.s.DB, store.EventRelaunched)
	if !strings.Contains(ev.Reason, "started in place") {
		t.Fatalf("relaunched event %q does not say it started in place", ev.Reason)
	}
}

// TestSupervisor_RelaunchFallsBackToRun: when the start fails, the instance
// is removed and run again, and the event says why.
func TestSupervisor_RelaunchFallsBackToRun(t *testing.T) {
	ctx := context.Background()
	e, id := exitOnce(t, "a")
	e.rt.StartFunc = func(context.Context, runtime.InstanceID) error {
		return errors.New("exit status 125: OCI runtime error (simulated)")
	}
	if err := e.s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	in := findInstance(t, e.rt, "a")
	if in.ID == id || in.State != runtime.StateRunning {
		t.Fatalf("after the relaunch: %s %s, want a new container running", in.ID, in.State)
	}
	ev := onlyEvent(t, e.s.DB, store.EventRelaunched)
	if !strings.Contains(ev.Reason, "start in place of "+string(id)+" failed") || !strings.Contains(ev.Reason, "OCI runtime error") {
		t.Fatalf("relaunched event %q does not say why the start was not used", ev.Reason)
	}
}

// TestSupervisor_ChangedSpecIsNotStarted: an exited instance of an older
// generation is replaced, never started.
func TestSupervisor_ChangedSpecIsNotStarted(t *testing.T) {
	ctx := context.Background()
	e, id := exitOnce(t, "a")
	e.rt.StartFunc = func(context.Context, runtime.InstanceID) error {
		t.Error("an instance of a changed spec was started in place")
		return nil
	}
	storetest.MustApply(t, e.s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox:2"}, Restart: store.RestartAlways})
	if err := e.s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if in := findInstance(t, e.rt, "a"); in.ID == id || in.Labels[runtime.LabelGeneration] != "2" {
		t.Fatalf("after the change: %s generation %s, want a new container of generation 2", in.ID, in.Labels[runtime.LabelGeneration])
	}
}

// TestSupervisor_RenamedIsNotStartedInPlace: an exited instance of ours under
// another name (an old prefix) is relaunched under its own name, not started
// where it stands, which would keep the old name for good.
func TestSupervisor_RenamedIsNotStartedInPlace(t *testing.T) {
	ctx := context.Background()
	e, id := exitOnce(t, "a")
	e.rt.StoreID = e.s.DB.StoreID()
	if err := e.rt.Rename(runtime.Name(e.rt.Prefix, "a"), "old-a"); err != nil {
		t.Fatal(err)
	}
	e.rt.StartFunc = func(context.Context, runtime.InstanceID) error {
		t.Error("a renamed instance was started in place")
		return nil
	}
	if err := e.s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := e.rt.Real().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID == id || list[0].Name != runtime.Name(e.rt.Prefix, "a") || list[0].State != runtime.StateRunning {
		t.Fatalf("after the relaunch: %+v, want one new instance running under its own name", list)
	}
}
