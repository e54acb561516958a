package supervisor_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_TargetedPassRelaunchesOneUID: a pass asked about a dead uid
// looks at that uid alone and relaunches it; the other instances are not
// part of it.
func TestSupervisor_TargetedPassRelaunchesOneUID(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(5)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("s00002", 137); err != nil {
		t.Fatal(err)
	}
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00002"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Targeted || res.Observed != 1 || res.Desired != 1 || res.States != nil {
		t.Fatalf("pass targeted=%v observed=%d desired=%d states=%v, want a targeted pass over one uid",
			res.Targeted, res.Observed, res.Desired, res.States)
	}
	if len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Kind != supervisor.ActRelaunch {
		t.Fatalf("actions %v, want one relaunch", res.Plan.Actions)
	}
	if in := findInstance(t, rt, "s00002"); in.State != runtime.StateRunning {
		t.Fatalf("s00002 %s after the targeted pass, want running", in.State)
	}
}

// TestSupervisor_TargetedPassFallsBackToFull: what a look at one uid cannot
// decide (here the removal of a deleted spec's instance), and any targeted
// request before the first full pass, is planned from a full list.
func TestSupervisor_TargetedPassFallsBackToFull(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(3)...)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00000"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Targeted || len(res.Plan.Actions) != 3 {
		t.Fatalf("first pass targeted=%v with %d actions, want a full pass launching 3", res.Targeted, len(res.Plan.Actions))
	}
	if err := s.DB.DeleteSpecs(ctx, "s00001"); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("s00001", 1); err != nil {
		t.Fatal(err)
	}
	res, err = s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00001"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Targeted || res.Observed != 3 {
		t.Fatalf("pass targeted=%v observed=%d, want a full pass (a removal is for the whole host to decide)", res.Targeted, res.Observed)
	}
	if len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Kind != supervisor.ActRemoveOrphan {
		t.Fatalf("actions %v, want the orphan removed", res.Plan.Actions)
	}
}

// TestSupervisor_TargetedPassRenamed: a death reported for an instance of
// ours under another name (the docker backend's events match our store's
// label whatever the name) is not where a look by name finds it: the pass
// lists the host, and the restart policy decides, rather than a launch
// beside the renamed instance.
func TestSupervisor_TargetedPassRenamed(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	rt.StoreID = s.DB.StoreID() // lists ours under any name, as serve's runtimes do
	sp := specs(1)
	sp[0].Restart = store.RestartNever
	storetest.MustApply(t, s.DB, sp...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("s00000", 0); err != nil {
		t.Fatal(err)
	}
	if err := rt.Rename(runtime.Name(rt.Prefix, "s00000"), "renamed-s00000"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00000"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Targeted {
		t.Fatal("targeted pass, want a full one: the look by name cannot see the renamed instance")
	}
	for _, a := range res.Plan.Actions {
		if a.Kind == supervisor.ActLaunch || a.Kind == supervisor.ActRelaunch {
			t.Fatalf("actions %v: an exit 0 under restart never launches nothing", res.Plan.Actions)
		}
	}
	list, err := rt.List(ctx)
	if err != nil || len(list) != 1 || list[0].State != runtime.StateExited {
		t.Fatalf("list %+v, %v: want the one renamed instance, exited", list, err)
	}
}

func TestMergeUIDs(t *testing.T) {
	for _, c := range []struct {
		a, b, want []string
	}{
		{[]string{"a"}, []string{"b", "a"}, []string{"a", "b"}},
		{nil, []string{"b"}, nil}, // a full pass covers a targeted one
		{[]string{"a"}, nil, nil},
		{many(supervisor.MaxPendingUIDs - 1), []string{"x"}, append(many(supervisor.MaxPendingUIDs-1), "x")},
		{many(supervisor.MaxPendingUIDs), []string{"x"}, nil}, // too many: a full pass
	} {
		if got := supervisor.MergeUIDs(c.a, c.b); !slices.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("merge %v %v = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestSupervisor_TargetedPassFromEvent: a death whose event shows the
// instance the record holds, after its recorded start, is planned from the
// event with no look at the runtime; the same event again (a stream that
// restarted replays it) is older than the start in place that followed, so
// that pass looks and finds the instance running.
func TestSupervisor_TargetedPassFromEvent(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(2)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	lists := countLists(rt)
	ev := exitWithEvent(t, rt, clock, "s00001", 137)
	dead := *ev.Instance
	opts := supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00001"}, Deaths: []runtime.Event{ev}}
	clock.Add(time.Second)
	res, err := s.Pass(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Targeted || lists.Load() != 0 {
		t.Fatalf("targeted=%v with %d looks at the runtime, want a targeted pass planned from the event alone", res.Targeted, lists.Load())
	}
	if len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Kind != supervisor.ActRelaunch {
		t.Fatalf("actions %v, want one relaunch", res.Plan.Actions)
	}
	if in := findInstance(t, rt, "s00001"); in.State != runtime.StateRunning || in.ID != dead.ID {
		t.Fatalf("s00001 %s as %s, want %s running again in place", in.State, in.ID, dead.ID)
	}

	clock.Add(time.Second)
	res, err = s.Pass(ctx, opts) // the same event, replayed
	if err != nil {
		t.Fatal(err)
	}
	if lists.Load() != 1 || len(res.Plan.Actions) != 0 {
		t.Fatalf("replayed event: %d looks, actions %v; want one look and nothing to do", lists.Load(), res.Plan.Actions)
	}
	if rec := recordOf(t, s.DB, "s00001"); rec.RestartCount != 1 {
		t.Fatalf("record restart count %d after a replayed event, want 1", rec.RestartCount)
	}
}

// TestSupervisor_TargetedPassLooksUnlessSure: a death event that does not
// say all a look would (no time, older than the record's start, another
// store's label, another instance, no exit code) is looked at, and the
// look decides.
func TestSupervisor_TargetedPassLooksUnlessSure(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(ev *runtime.Event, in *runtime.Instance)
	}{
		{"no time", func(ev *runtime.Event, _ *runtime.Instance) { ev.At = time.Time{} }},
		{"before the start", func(ev *runtime.Event, _ *runtime.Instance) { ev.At = ev.At.Add(-2 * time.Minute) }},
		{"another store", func(_ *runtime.Event, in *runtime.Instance) { in.Labels[runtime.LabelStore] = "other" }},
		{"another instance", func(_ *runtime.Event, in *runtime.Instance) { in.ID = "not-the-recorded-one" }},
		{"no exit code", func(_ *runtime.Event, in *runtime.Instance) { in.ExitCode = nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, rt, clock := MustNewSupervisor(t)
			storetest.MustApply(t, s.DB, specs(1)...)
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			lists := countLists(rt)
			ev := exitWithEvent(t, rt, clock, "s00000", 1)
			c.change(&ev, ev.Instance)
			res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{"s00000"}, Deaths: []runtime.Event{ev}})
			if err != nil {
				t.Fatal(err)
			}
			if lists.Load() != 1 || len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Kind != supervisor.ActRelaunch {
				t.Fatalf("%d looks, actions %v; want one look and the relaunch it shows", lists.Load(), res.Plan.Actions)
			}
		})
	}
}

func TestMergeDeaths(t *testing.T) {
	a, b := []runtime.Event{{UID: "a"}}, []runtime.Event{{UID: "b"}}
	if got := supervisor.MergeDeaths([]string{"a", "b"}, a, b); len(got) != 2 || got[0].UID != "a" || got[1].UID != "b" || len(a) != 1 {
		t.Errorf("merge = %v (first %v), want both, the first request's own list untouched", got, a)
	}
	if got := supervisor.MergeDeaths(nil, a, b); got != nil {
		t.Errorf("merge into a full pass = %v, want none: it looks at everything", got)
	}
	full := make([]runtime.Event, supervisor.MaxPendingUIDs)
	if got := supervisor.MergeDeaths([]string{"a"}, full, a); got != nil {
		t.Errorf("merge past %d deaths kept %d, want none: each uid is looked at", supervisor.MaxPendingUIDs, len(got))
	}
}

// many returns n distinct uids.
func many(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%d", i)
	}
	return out
}

// countLists makes rt count its lists (each ListUID is one) and returns the count.
func countLists(rt *fake.Runtime) *atomic.Int32 {
	var n atomic.Int32
	rt.ListFunc = func(ctx context.Context) ([]runtime.Instance, error) {
		n.Add(1)
		return rt.Real().List(ctx)
	}
	return &n
}

// exitWithEvent makes uid's instance exit with code a minute on and returns
// the death event a podman on this host sends for it, showing the instance.
func exitWithEvent(t *testing.T, rt *fake.Runtime, clock *storetest.Clock, uid string, code int) runtime.Event {
	t.Helper()
	clock.Add(time.Minute)
	if err := rt.SetExited(uid, code); err != nil {
		t.Fatal(err)
	}
	dead := findInstance(t, rt, uid)
	return runtime.Event{Kind: runtime.EventDied, UID: uid, ExitCode: dead.ExitCode, At: clock.Now(), Instance: &dead}
}
