package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestDB_CountInstances: the counts the gauges read, with a crash loop as
// the status view counts one and a back-off as the backoffs view selects
// one, judged by the store's clock.
func TestDB_CountInstances(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	clock := storetest.NewClock()
	db.Now = clock.Now
	one := 1
	var specs []store.Spec
	for _, uid := range []string{"run", "loop", "wait", "done", "never", "over"} {
		s := store.Spec{UID: uid, Container: spec.Container{Image: "busybox"}}
		if uid == "never" {
			s.Restart = store.RestartNever
		}
		specs = append(specs, s)
	}
	storetest.MustApply(t, db, specs...)
	later := store.Millis(clock.Now().Add(time.Minute))
	for _, in := range []store.Instance{
		{UID: "run", State: store.InstanceRunning, RuntimeID: "r1"},
		{UID: "loop", State: store.InstanceExited, ExitCode: &one, ConsecutiveFailures: 5, NextAttemptAt: later},
		{UID: "wait", State: store.InstanceExited, ExitCode: &one, ConsecutiveFailures: 1, NextAttemptAt: later},
		{UID: "done", State: store.InstanceStopped},
		{UID: "never", State: store.InstanceExited, ExitCode: &one, NextAttemptAt: later}, // never relaunched: no back-off
		{UID: "over", State: store.InstancePending, NextAttemptAt: store.Millis(clock.Now().Add(-time.Second))},
	} {
		if err := db.RecordOutcome(ctx, store.Outcome{Instance: &in}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.CountInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.InstanceCounts{
		States:       map[store.InstanceState]int{store.InstanceRunning: 1, store.InstanceExited: 3, store.InstanceStopped: 1, store.InstancePending: 1},
		CrashLooping: 1, BackingOff: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CountInstances=%+v, want %+v", got, want)
	}
	clock.Add(2 * time.Minute) // every back-off is over
	if got, err := db.CountInstances(ctx); err != nil || got.BackingOff != 0 {
		t.Fatalf("after the back-offs: %+v, %v", got, err)
	}
}
