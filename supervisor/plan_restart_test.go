package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_Restart: an operator's restart replaces the running
// instance once, records a replaced event saying so, and counts no failure
// and no restart; the brake does not hold it back.
func TestSupervisor_Restart(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(5)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := rt.List(ctx)
	clock.Add(time.Second)
	if _, err := s.DB.RequestRestart(ctx, "s00000", "s00001", "s00002", "s00003"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.RequestRestart(ctx, "nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("restart of a uid without spec: %v, want ErrNotFound", err)
	}
	clock.Add(time.Second)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := rt.List(ctx)
	for i := range 4 {
		if after[i].ID == before[i].ID {
			t.Fatalf("%s still runs instance %s", after[i].UID, after[i].ID)
		}
	}
	if after[4].ID != before[4].ID {
		t.Fatal("s00004 was replaced without a request")
	}
	recs, _ := storetest.FindInstances(ctx, s.DB)
	if recs[0].RestartCount != 0 || recs[0].ConsecutiveFailures != 0 || recs[0].State != store.InstanceRunning {
		t.Fatalf("record after a restart: %+v; want running, no restart or failure counted", recs[0])
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: "s00000", Kind: store.EventReplaced})
	if len(evs) != 1 {
		t.Fatalf("%d replaced events, want 1", len(evs))
	}
	// Answered: the next pass does nothing.
	clock.Add(time.Second)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil || len(res.Plan.Actions) != 0 {
		t.Fatalf("pass after the restart: %+v, %v; want nothing to do", res.Plan.Actions, err)
	}
}

// TestSupervisor_AcceptedExitStaysAccepted: a finished job whose exit the
// restart policy accepted (never; on-failure with code 0) and whose instance
// was then removed by hand (`podman rm`, `docker container prune`) is not
// launched again: its record says so (no runtime id, still exited), the
// next passes do nothing; an operator's restart runs it once more, on
// purpose. A failed on-failure exit removed the same way is relaunched, as
// before, and so is an accepted one whose spec has a new generation.
func TestSupervisor_AcceptedExitStaysAccepted(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	all := specs(4)
	all[0].Restart = store.RestartNever     // exits 0
	all[1].Restart = store.RestartNever     // exits 3: never leaves any exit
	all[2].Restart = store.RestartOnFailure // exits 0
	all[3].Restart = store.RestartOnFailure // exits 1: a failure, relaunched
	storetest.MustApply(t, s.DB, all...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	for i, code := range []int{0, 3, 0, 1} {
		if err := rt.SetExited(all[i].UID, code); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(time.Second)
	if err := s.Reconcile(ctx); err != nil { // records the exits; relaunches s00003
		t.Fatal(err)
	}
	if err := rt.SetExited(all[3].UID, 1); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute) // past the back-off of a second failure
	for _, sp := range all {
		if err := rt.Remove(ctx, sp.UID); err != nil { // the operator's clean-up
			t.Fatal(err)
		}
	}
	clock.Add(time.Second)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := planned(res.Plan.Actions), "record:s00000 record:s00001 record:s00002 launch:s00003"; got != want {
		t.Fatalf("plan after the removal: %s, want %s", got, want)
	}
	list, _ := rt.List(ctx)
	if len(list) != 1 || list[0].UID != "s00003" {
		t.Fatalf("listed after the removal: %+v, want only s00003 launched again", list)
	}
	rows, err := s.DB.FindStatus(ctx, "s00000", "s00001")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.State != string(store.InstanceExited) || r.RuntimeID == nil || *r.RuntimeID != "" {
			t.Fatalf("status of %s: state %s, runtime id %v; want exited with no instance", r.UID, r.State, r.RuntimeID)
		}
	}
	// Nothing more to do, however often it looks (within backoff_reset,
	// after which s00003's failure count is reset).
	clock.Add(time.Minute)
	if res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual}); err != nil || len(res.Plan.Actions) != 0 {
		t.Fatalf("next pass: %s, %v; want nothing to do", planned(res.Plan.Actions), err)
	}
	// The operator's restart runs it again, once.
	clock.Add(time.Second)
	if _, err := s.DB.RequestRestart(ctx, "s00000"); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ = rt.List(ctx)
	if len(list) != 2 || list[0].UID != "s00000" || list[0].State != runtime.StateRunning {
		t.Fatalf("listed after the restart: %+v, want s00000 running again", list)
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: "s00000", Kind: store.EventLaunched})
	if len(evs) != 2 || !strings.Contains(evs[len(evs)-1].Reason, "restart requested by an operator") {
		t.Fatalf("launched events of s00000: %+v, want a second one naming the operator's restart", evs)
	}
	// It finishes again and is removed again: still accepted, not relaunched.
	if err := rt.SetExited("s00000", 0); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	_ = s.Reconcile(ctx)
	_ = rt.Remove(ctx, "s00000")
	clock.Add(time.Second)
	_ = s.Reconcile(ctx)
	if list, _ := rt.List(ctx); len(list) != 1 {
		t.Fatalf("listed after the second removal: %+v, want s00000 not launched", list)
	}
	// A new generation of the spec is a new job: it runs.
	changed := all[2]
	changed.Command = []string{"true"}
	storetest.MustApply(t, s.DB, changed)
	clock.Add(time.Second)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := rt.List(ctx); len(list) != 2 || list[0].UID != "s00002" {
		t.Fatalf("listed after a new generation: %+v, want s00002 launched", list)
	}
}

// TestSupervisor_RestartFinishedInstance: an operator's restart of a
// finished instance whose exit was accepted and that is still listed
// replaces it; a restart of one the policy relaunches is refused.
func TestSupervisor_RestartFinishedInstance(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	all := specs(2)
	all[0].Restart = store.RestartNever
	all[1].Restart = store.RestartOnFailure
	s.Policy.BackoffInitial = time.Hour
	storetest.MustApply(t, s.DB, all...)
	_ = s.Reconcile(ctx)
	_ = rt.SetExited(all[0].UID, 0)
	_ = rt.SetExited(all[1].UID, 2)
	clock.Add(time.Second)
	_ = s.Reconcile(ctx) // s00001 relaunched at once (first failure)
	_ = rt.SetExited(all[1].UID, 2)
	clock.Add(time.Second)
	_ = s.Reconcile(ctx) // s00001 backs off for an hour
	before, _ := rt.List(ctx)
	clock.Add(time.Second)
	if _, err := s.DB.RequestRestart(ctx, "s00001"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("restart of an exit the policy relaunches: %v, want ErrInvalid", err)
	}
	if _, err := s.DB.RequestRestart(ctx, "s00000"); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := planned(res.Plan.Actions), "restart:s00000"; got != want {
		t.Fatalf("plan: %s, want %s", got, want)
	}
	after, _ := rt.List(ctx)
	if after[0].ID == before[0].ID || after[0].State != runtime.StateRunning {
		t.Fatalf("s00000 after the restart: %+v, want a new running instance", after[0])
	}
}

// planned lists a plan's actions as "kind:uid", space separated.
func planned(actions []supervisor.Action) string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a.Kind) + ":" + a.UID
	}
	return strings.Join(out, " ")
}
