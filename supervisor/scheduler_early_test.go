package supervisor_test

import (
	"context"
	"testing"

	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestScheduler_RequestDuringStart: serve starts the fleet node before the
// scheduler, and the node's change hook calls Trigger as soon as its first
// catch-up is in, which may be while Start runs. Under -race this showed
// Request reading the wakeup channel that Start was writing.
func TestScheduler_RequestDuringStart(t *testing.T) {
	db := storetest.MustOpenDB(t)
	sc := supervisor.NewScheduler(supervisor.New(db, fake.New()))
	sc.Schedule = "@every 1h"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			sc.Trigger(store.TriggerChange)
		}
	}()
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := sc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
