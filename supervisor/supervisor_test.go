package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// MustNewSupervisor returns a supervisor over a fresh database and fake.
func MustNewSupervisor(tb testing.TB) (*supervisor.Supervisor, *fake.Runtime, *storetest.Clock) {
	tb.Helper()
	db := storetest.MustOpenDB(tb)
	clock := storetest.NewClock()
	db.Now = clock.Now
	rt := fake.New()
	rt.Now = clock.Now
	s := supervisor.New(db, rt)
	s.Logger = quiet
	return s, rt, clock
}

func specs(n int) []store.Spec {
	out := make([]store.Spec, n)
	for i := range out {
		out[i] = store.Spec{UID: fmt.Sprintf("s%05d", i), Container: vspec.Container{Image: "busybox", Command: []string{"sleep", "infinity"}}}
	}
	return out
}

func TestSupervisor_Reconcile(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(10)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := rt.List(ctx)
	if len(list) != 10 {
		t.Fatalf("%d instances, want 10", len(list))
	}
	for _, in := range list {
		if in.StoreID() != s.DB.StoreID() || in.Labels[runtime.LabelGeneration] != "1" || in.SpecHash() == "" {
			t.Fatalf("labels=%v", in.Labels)
		}
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventLaunched})
	if len(evs) != 10 {
		t.Fatalf("%d launched events, want 10", len(evs))
	}
	p, err := s.DB.LastPass(ctx)
	if err != nil || p.Actions != 10 || p.Observed != 0 || p.Desired != 10 || p.FinishedAt.Time().IsZero() || p.Error != "" {
		t.Fatalf("pass=%+v err=%v", p, err)
	}
}

// TestSupervisor_NoChangePassWritesOnlyItsPassRow counts total_changes over a
// pass that has nothing to do at 200 specs (the count is what matters, not
// the size: launching 1,000 first took 20 s under the race detector).
func TestSupervisor_NoChangePassWritesOnlyItsPassRow(t *testing.T) {
	ctx := context.Background()
	s, _, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(200)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	before, err := storetest.TotalChanges(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := storetest.TotalChanges(ctx, s.DB)
	// One INSERT when the pass starts and one UPDATE of the same row when it ends.
	if got := after - before; got != 2 || len(res.Plan.Actions) != 0 {
		t.Fatalf("no-change pass changed %d rows with %d actions, want 2 (its passes row) and 0", got, len(res.Plan.Actions))
	}
}

func TestSupervisor_ListFailureDoesNothing(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(3)...)
	rt.ListFunc = func(context.Context) ([]runtime.Instance, error) {
		return nil, fmt.Errorf("list: %w", runtime.ErrUnavailable)
	}
	err := s.Reconcile(ctx)
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("err=%v, want ErrUnavailable", err)
	}
	if list, _ := rt.Real().List(ctx); len(list) != 0 {
		t.Fatalf("launched %d instances without a list", len(list))
	}
	p, _ := s.DB.LastPass(ctx)
	if !strings.Contains(p.Error, "unavailable") {
		t.Fatalf("pass error=%q, want the list failure recorded", p.Error)
	}
}

func TestSupervisor_RunFailureBacksOff(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	rt.RunFunc = func(context.Context, runtime.RunSpec) (runtime.InstanceID, error) {
		return "", errors.New("image not found")
	}
	for i := range 3 {
		if i > 0 {
			clock.Add(time.Minute) // past each back-off, which is at most 24s here
		}
		_ = s.Reconcile(ctx)
	}
	recs, _ := storetest.FindInstances(ctx, s.DB)
	if len(recs) != 1 || recs[0].ConsecutiveFailures != 3 || !strings.Contains(recs[0].LastError, "image not found") {
		t.Fatalf("record=%+v, want 3 failures and the error", recs[0])
	}
	// Without moving the clock the next attempt waits.
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
	if err != nil || len(res.Plan.Actions) != 0 || res.Plan.NextWake.IsZero() {
		t.Fatalf("pass during back-off: actions=%d wake=%v err=%v", len(res.Plan.Actions), res.Plan.NextWake, err)
	}
	rt.RunFunc = nil
	clock.Add(time.Minute)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := rt.List(ctx); len(list) != 1 {
		t.Fatal("not launched once the runtime recovered")
	}
}

func TestSupervisor_StopAndStart(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	_ = s.Reconcile(ctx)
	uid := specs(1)[0].UID
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredStopped, uid); err != nil {
		t.Fatal(err)
	}
	_ = s.Reconcile(ctx)
	list, _ := rt.List(ctx)
	if list[0].State != runtime.StateExited {
		t.Fatalf("state=%v after stop, want exited (kept for inspection)", list[0].State)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredRunning, uid); err != nil {
		t.Fatal(err)
	}
	_ = s.Reconcile(ctx)
	list, _ = rt.List(ctx)
	if list[0].State != runtime.StateRunning {
		t.Fatalf("state=%v after start, want running", list[0].State)
	}
	recs, _ := storetest.FindInstances(ctx, s.DB)
	if recs[0].ConsecutiveFailures != 0 {
		t.Fatalf("a stop counted as a failure: %+v", recs[0])
	}
}

func TestSupervisor_GiveUpAndOperatorStart(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	s.Policy.MaxAttempts = 2
	sp := specs(1)[0]
	sp.Restart = store.RestartOnFailure
	storetest.MustApply(t, s.DB, sp)
	_ = s.Reconcile(ctx)
	for range 3 {
		if err := rt.SetExited(sp.UID, 1); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute) // less than backoff_reset, more than any back-off here
		_ = s.Reconcile(ctx)
		clock.Add(time.Minute)
		_ = s.Reconcile(ctx)
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventGaveUp})
	if len(evs) != 1 {
		t.Fatalf("%d gave_up events, want 1", len(evs))
	}
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredRunning, sp.UID); err != nil {
		t.Fatal(err)
	}
	_ = s.Reconcile(ctx)
	if list, _ := rt.List(ctx); list[0].State != runtime.StateRunning {
		t.Fatalf("state=%v after an operator's start, want running", list[0].State)
	}
}

// TestPass_NoChangeReadsNoRows: once converged, a pass that finds nothing
// to do leaves the state cache valid, so the next one reads no spec or
// record row; a spec applied in between is seen at once.
func TestPass_NoChangeReadsNoRows(t *testing.T) {
	ctx := context.Background()
	s, _, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(5)...)
	for range 2 {
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, full := s.DB.StateReads()
	for range 3 {
		res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
		if err != nil || len(res.Plan.Actions) != 0 {
			t.Fatalf("pass: %v, %d actions", err, len(res.Plan.Actions))
		}
	}
	if _, f := s.DB.StateReads(); f != full {
		t.Fatalf("%d full reads of the state in three passes with nothing to do, want none", f-full)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "late", Container: vspec.Container{Image: "busybox"}})
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
	if err != nil || len(res.Plan.Actions) != 1 || res.Plan.Actions[0].Kind != supervisor.ActLaunch {
		t.Fatalf("pass after an apply: %v, actions %+v; want one launch", err, res.Plan.Actions)
	}
}
