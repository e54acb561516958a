package supervisor_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// earlyWatcher sends a died event when told to, whatever the runtime lists.
type earlyWatcher struct{ send chan runtime.Event }

func (w earlyWatcher) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-w.send:
			ch <- ev
		}
	}
}

// TestScheduler_EventBeforeListRechecks: a runtime that sends a death's
// event before its list shows the death (dockerd does, now and then) has it
// relaunched by the event's second look, not by the next cron tick an hour
// away.
func TestScheduler_EventBeforeListRechecks(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox"}, Restart: store.RestartAlways})
	w := earlyWatcher{send: make(chan runtime.Event)}
	sc, log := startScheduler(t, s, func(sc *supervisor.Scheduler) { sc.Watcher = w })
	poll(t, func() error { return log.saw(store.TriggerStartup) })
	poll(t, func() error {
		if !sc.StreamUp() {
			return fmt.Errorf("event stream not up yet")
		}
		return nil
	})
	first := findInstance(t, rt, "a")
	// The event first, the list's exit after its pass has looked.
	w.send <- runtime.Event{Kind: runtime.EventDied, UID: "a"}
	poll(t, func() error { return log.saw(store.TriggerEvent) })
	if err := rt.SetExited("a", 3); err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		rec := recordOf(t, s.DB, "a")
		if rec.RestartCount != 1 || rec.State != store.InstanceRunning {
			return fmt.Errorf("record %s with %d restarts, want running after 1 (instance %s)", rec.State, rec.RestartCount, first.ID)
		}
		return nil
	})
}
