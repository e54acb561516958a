package supervisor_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

func TestResyncDue(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	up, pass := t0, t0.Add(time.Second) // the stream came up before the pass
	for _, c := range []struct {
		name        string
		streamUp    time.Time
		newestStart time.Time
		clean       bool
		now         time.Time
		resync      time.Duration
		want        bool
	}{
		{"covered", up, pass, true, pass.Add(59 * time.Second), time.Minute, false},
		{"resync interval over", up, pass, true, pass.Add(time.Minute), time.Minute, true},
		{"resync off", up, pass, true, pass.Add(time.Second), 0, true},
		{"stream down", time.Time{}, pass, true, pass.Add(time.Second), time.Minute, true},
		{"stream restarted after the pass", pass.Add(time.Millisecond), pass, true, pass.Add(time.Second), time.Minute, true},
		{"stream up as the pass started", pass, pass, true, pass.Add(time.Second), time.Minute, true},
		{"newest pass failed", up, pass, false, pass.Add(time.Second), time.Minute, true},
		{"no pass yet", up, time.Time{}, false, pass, time.Minute, true},
	} {
		if got := supervisor.ResyncDue(c.streamUp, c.newestStart, c.clean, c.now, c.resync); got != c.want {
			t.Errorf("%s: due=%v, want %v", c.name, got, c.want)
		}
	}
}

// TestScheduler_ResyncSkipsCoveredTicks: with the event stream up and a
// clean pass younger than resync, a cron tick runs no pass; once resync has
// passed, it does.
func TestScheduler_ResyncSkipsCoveredTicks(t *testing.T) {
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(2)...)
	sc, log := startResyncScheduler(t, s, rt, clock)
	// Now the tick is covered: a tick asks for nothing, so the manual request names the next pass.
	ticks := log.count()
	sc.CronTick()
	sc.Trigger(store.TriggerManual)
	poll(t, func() error { return wantPasses(log, ticks+1) })
	if got := log.last(); got != store.TriggerManual {
		t.Fatalf("pass after a covered tick was %s, want manual (the tick asked for a pass)", got)
	}
	clock.Add(time.Hour)
	sc.CronTick()
	poll(t, func() error { return wantPasses(log, ticks+2) })
	if got := log.last(); got != store.TriggerSchedule {
		t.Fatalf("pass after resync elapsed was %s, want schedule", got)
	}
}

// startResyncScheduler starts a scheduler on rt's event stream with resync
// an hour, waits for its start-up pass and the stream, and runs the first
// tick (not covered: the start-up pass ran before the stream was up).
func startResyncScheduler(t *testing.T, s *supervisor.Supervisor, rt runtime.Watcher, clock *storetest.Clock) (*supervisor.Scheduler, *passLog) {
	t.Helper()
	sc, log := startScheduler(t, s, func(sc *supervisor.Scheduler) { sc.Watcher, sc.Resync = rt, time.Hour })
	poll(t, func() error { return log.saw(store.TriggerStartup) })
	poll(t, func() error {
		if !sc.StreamUp() {
			return fmt.Errorf("event stream not up yet")
		}
		return nil
	})
	clock.Add(time.Second)
	sc.CronTick()
	poll(t, func() error { return log.saw(store.TriggerSchedule) })
	return sc, log
}

// wantTickPass fails unless the next cron tick runs a pass: the newest
// pass, after what, did not let resync cover it.
func wantTickPass(t *testing.T, sc *supervisor.Scheduler, log *passLog, after string) {
	t.Helper()
	ticks := log.count()
	sc.CronTick()
	poll(t, func() error { return wantPasses(log, ticks+1) })
	if got := log.last(); got != store.TriggerSchedule {
		t.Fatalf("pass after %s was %s, want schedule", after, got)
	}
}

func wantPasses(l *passLog, n int) error {
	if got := l.count(); got < n {
		return fmt.Errorf("%d passes, want %d", got, n)
	}
	return nil
}

func (l *passLog) last() store.Trigger {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.triggers[len(l.triggers)-1]
}

// TestScheduler_UnwatchedInstanceKeepsTicks: while an instance of ours lives
// under another name, which an event stream filtered on the name prefix
// does not report, every cron tick runs a pass whatever resync says.
func TestScheduler_UnwatchedInstanceKeepsTicks(t *testing.T) {
	s, rt, clock := MustNewSupervisor(t)
	rt.StoreID = s.DB.StoreID()
	storetest.MustApply(t, s.DB, specs(2)...)
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := rt.Rename(runtime.Name(rt.Prefix, "s00000"), "old-s00000"); err != nil {
		t.Fatal(err)
	}
	sc, log := startResyncScheduler(t, s, rt, clock)
	wantTickPass(t, sc, log, "a tick with a renamed instance")
}

// brakeHeld leaves s with six instances whose specs all changed: a pass
// would replace all six, which the brake holds for s.Policy.BrakeHold.
func brakeHeld(t *testing.T, s *supervisor.Supervisor) {
	t.Helper()
	storetest.MustApply(t, s.DB, specs(6)...)
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	changed := specs(6)
	for i := range changed {
		changed[i].Image = "busybox:1.37"
	}
	storetest.MustApply(t, s.DB, changed...)
}

// TestScheduler_BrakeHeldKeepsTicks: a pass the brake held is not clean, so
// the cron ticks of the hold run passes even with the event stream up;
// otherwise nothing would look again until resync, long after the hold.
func TestScheduler_BrakeHeldKeepsTicks(t *testing.T) {
	s, rt, clock := MustNewSupervisor(t)
	s.Policy.BrakeHold = time.Hour
	brakeHeld(t, s)
	sc, log := startResyncScheduler(t, s, rt, clock)
	wantTickPass(t, sc, log, "a tick while the brake held")
	if got := countKind(t, s.DB, store.EventReplaced); got != 0 {
		t.Fatalf("%d replaced while the brake held", got)
	}
}

// TestPass_BrakeHeldWakesAtHoldEnd: a held pass asks for a pass when the
// hold ends, the moment the brake lets the replacements through.
func TestPass_BrakeHeldWakesAtHoldEnd(t *testing.T) {
	s, _, clock := MustNewSupervisor(t)
	s.Policy.BrakeHold = 2 * time.Minute
	brakeHeld(t, s)
	var mu sync.Mutex // workers call OnWake too
	var wakes []time.Time
	s.OnWake = func(at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		wakes = append(wakes, at)
	}
	start := clock.Now()
	res, err := s.Pass(context.Background(), supervisor.PassOptions{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Plan.BrakeHeld {
		t.Fatalf("the brake did not hold: %+v", res.Plan.Actions)
	}
	mu.Lock()
	held := slices.Contains(wakes, start.Add(2*time.Minute))
	mu.Unlock()
	if want := start.Add(2 * time.Minute); !held {
		t.Fatalf("wakes %v, want one at the hold's end %v", wakes, want)
	}
	clock.Add(2 * time.Minute)
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := countKind(t, s.DB, store.EventReplaced); got != 6 {
		t.Fatalf("%d replaced after the hold, want 6", got)
	}
}
