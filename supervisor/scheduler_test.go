package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// passLog collects the triggers of the passes a scheduler ran.
type passLog struct {
	mu       sync.Mutex
	triggers []store.Trigger
}

func (l *passLog) add(res *supervisor.PassResult, _ error) {
	if res == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.triggers = append(l.triggers, res.Trigger)
}

func (l *passLog) saw(t store.Trigger) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.triggers {
		if x == t {
			return nil
		}
	}
	return fmt.Errorf("no %s pass yet among %v", t, l.triggers)
}

func (l *passLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.triggers)
}

func startScheduler(t *testing.T, s *supervisor.Supervisor, opts ...func(*supervisor.Scheduler)) (*supervisor.Scheduler, *passLog) {
	t.Helper()
	sc := supervisor.NewScheduler(s)
	sc.Schedule = "@every 1h" // so that no pass in these tests comes from cron
	sc.WatchInterval = 50 * time.Millisecond
	sc.Logger = quiet
	log := &passLog{}
	sc.OnPass = log.add
	for _, o := range opts {
		o(sc)
	}
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	return sc, log
}

func poll(t *testing.T, fn func() error) {
	t.Helper()
	storetest.RetryUntil(t, 10*time.Millisecond, 10*time.Second, fn)
}

func TestScheduler_StartupPassFirst(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(2)...)
	_, log := startScheduler(t, s)
	poll(t, func() error { return log.saw(store.TriggerStartup) })
	if first := log.triggers[0]; first != store.TriggerStartup {
		t.Fatalf("first pass trigger=%s, want startup", first)
	}
	if list, _ := rt.List(context.Background()); len(list) != 2 {
		t.Fatalf("%d instances after the start-up pass, want 2", len(list))
	}
}

// TestScheduler_OutsideWriteTriggersPass applies a spec through a second
// connection, as `veloslet apply` does, with the cron schedule at an hour.
func TestScheduler_OutsideWriteTriggersPass(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	_, log := startScheduler(t, s)
	poll(t, func() error { return log.saw(store.TriggerStartup) })

	other := storetest.MustOpenDBAt(t, s.DB.Path())
	storetest.MustApply(t, other, specs(1)...)
	start := time.Now()
	poll(t, func() error {
		if list, _ := rt.List(context.Background()); len(list) != 1 {
			return errors.New("not launched yet")
		}
		return nil
	})
	poll(t, func() error { return log.saw(store.TriggerChange) })
	t.Logf("outside write picked up in %s", time.Since(start))
}

type chanWatcher struct{ events chan runtime.Event }

func (w *chanWatcher) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-w.events:
			ch <- ev
		}
	}
}

func TestScheduler_RuntimeEventTriggersPass(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	w := &chanWatcher{events: make(chan runtime.Event)}
	_, log := startScheduler(t, s, func(sc *supervisor.Scheduler) { sc.Watcher = w })
	poll(t, func() error { return log.saw(store.TriggerStartup) })
	uid := specs(1)[0].UID
	if err := rt.SetExited(uid, 137); err != nil {
		t.Fatal(err)
	}
	w.events <- runtime.Event{Kind: runtime.EventDied, UID: uid}
	poll(t, func() error { return log.saw(store.TriggerEvent) })
	poll(t, func() error {
		evs, _ := s.DB.FindEvents(context.Background(), store.EventFilter{UID: uid, Kind: store.EventRelaunched})
		if len(evs) != 1 {
			return errors.New("not relaunched yet")
		}
		return nil
	})
}

func TestScheduler_BackoffDeadlineTriggersPass(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	s.Now = time.Now // the timer runs on the real clock
	s.DB.Now = time.Now
	rt.Now = time.Now
	s.Policy.BackoffInitial, s.Policy.Jitter = 100*time.Millisecond, 0
	storetest.MustApply(t, s.DB, specs(1)...)
	uid := specs(1)[0].UID
	sc, log := startScheduler(t, s)
	poll(t, func() error { return log.saw(store.TriggerStartup) })
	ctx := context.Background()
	for i := range 2 { // the second failure in a row waits BackoffInitial
		if err := rt.SetExited(uid, 1); err != nil {
			t.Fatal(err)
		}
		sc.Trigger(store.TriggerManual)
		poll(t, func() error {
			evs, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: uid, Kind: store.EventExited})
			if len(evs) != i+1 {
				return fmt.Errorf("%d exits recorded, want %d", len(evs), i+1)
			}
			// The exit is written before the relaunch runs: the next exit
			// must hit the relaunched instance, not the one being removed.
			rel, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: uid, Kind: store.EventRelaunched})
			if i == 0 && len(rel) != 1 {
				return fmt.Errorf("%d relaunches recorded after the first exit, want 1", len(rel))
			}
			return nil
		})
	}
	poll(t, func() error { return log.saw(store.TriggerBackoff) })
	// A timer that fires a hair before the recorded end of the wait (the
	// record keeps milliseconds) finds nothing due and arms again: the
	// relaunch may come with a later back-off pass.
	poll(t, func() error {
		if list, _ := rt.List(ctx); len(list) != 1 || list[0].State != runtime.StateRunning {
			return fmt.Errorf("after the back-off pass: %v, want one running", list)
		}
		return nil
	})
}

// blockRun makes the fake's Run wait: entered closes when the first Run
// starts, and closing release lets every Run go on.
func blockRun(rt *fake.Runtime) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		once.Do(func() { close(entered) })
		<-release
		return rt.Real().Run(ctx, spec)
	}
	return entered, release
}

// TestScheduler_StopWaitsForPassAndCoalesces blocks a pass in Run, piles up
// triggers, and checks that Stop returns only after the action in flight
// recorded its outcome.
func TestScheduler_StopWaitsForPassAndCoalesces(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	entered, release := blockRun(rt)
	sc, log := startScheduler(t, s)
	<-entered
	for range 10 {
		sc.Trigger(store.TriggerManual)
	}
	var stopped atomic.Bool
	done := make(chan error)
	go func() { done <- sc.Stop(context.Background()); stopped.Store(true) }()
	<-sc.Stopping()
	if stopped.Load() {
		t.Fatal("Stop returned while a pass was in flight")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	evs, _ := s.DB.FindEvents(context.Background(), store.EventFilter{Kind: store.EventLaunched})
	if len(evs) != 1 {
		t.Fatalf("%d launched events after Stop, want the in-flight pass's 1", len(evs))
	}
	// The ten triggers coalesce into passes that plan around the uid in
	// flight instead of waiting for it: at most two, as the runner may take
	// the first trigger before the other nine arrive.
	if n := log.count(); n < 1 || n > 3 {
		t.Fatalf("%d passes ran, want the first and at most two coalesced passes", n)
	}
	p, _ := s.DB.LastPass(context.Background())
	if p.FinishedAt.Time().IsZero() {
		t.Fatal("the in-flight pass was not closed")
	}
}

func TestScheduler_CoalescesTriggers(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	entered, release := blockRun(rt)
	sc, log := startScheduler(t, s)
	<-entered
	for range 50 {
		sc.Trigger(store.TriggerManual)
	}
	close(release)
	poll(t, func() error { return log.saw(store.TriggerManual) })
	if err := sc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The 50 triggers coalesce into a few passes: a pass plans in
	// milliseconds and then goes on without waiting for the launch in
	// flight, so triggers coalesce while one is being planned. A pass that
	// planned while the launch was in flight skipped its uid, and the
	// launch's end asks for one more pass (a back-off trigger).
	log.mu.Lock()
	defer log.mu.Unlock()
	manual, other := 0, 0
	for _, tr := range log.triggers {
		switch tr {
		case store.TriggerManual:
			manual++
		case store.TriggerStartup, store.TriggerBackoff:
		default:
			other++
		}
	}
	if manual < 1 || manual > 5 || other != 0 {
		t.Fatalf("passes %v for 1 start-up and 50 triggers during it, want 1 to 5 manual passes", log.triggers)
	}
}

func TestParseSchedule(t *testing.T) {
	for spec, ok := range map[string]bool{
		"@every 10s": true, "*/5 * * * *": true, "*/10 * * * * *": true, "@hourly": true,
		"every 10s": false, "* * *": false, "@every -1s": false, "": false,
	} {
		_, err := supervisor.ParseSchedule(spec)
		if (err == nil) != ok {
			t.Errorf("ParseSchedule(%q) err=%v, want ok=%v", spec, err, ok)
		}
	}
}

// TestScheduler_EventInstancePlansWithoutLook: a death event that shows the
// dead instance reaches the pass it asks for, which plans from it and
// looks at nothing.
func TestScheduler_EventInstancePlansWithoutLook(t *testing.T) {
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(1)...)
	w := &chanWatcher{events: make(chan runtime.Event)}
	var atEventPass atomic.Int32
	atEventPass.Store(-1)
	lists := countLists(rt)
	passes := &passLog{}
	startScheduler(t, s, func(sc *supervisor.Scheduler) {
		sc.Watcher = w
		sc.OnPass = func(res *supervisor.PassResult, err error) {
			if res != nil && res.Trigger == store.TriggerEvent {
				atEventPass.CompareAndSwap(-1, lists.Load())
			}
			passes.add(res, err)
		}
	})
	poll(t, func() error { return passes.saw(store.TriggerStartup) })
	uid := specs(1)[0].UID
	ev := exitWithEvent(t, rt, clock, uid, 137)
	before := lists.Load() // no pass runs meanwhile: cron is an hour away
	w.events <- ev
	poll(t, func() error {
		evs, _ := s.DB.FindEvents(context.Background(), store.EventFilter{UID: uid, Kind: store.EventRelaunched})
		if len(evs) != 1 {
			return errors.New("not relaunched yet")
		}
		return nil
	})
	poll(t, func() error { return passes.saw(store.TriggerEvent) })
	if n := atEventPass.Load() - before; n != 0 {
		t.Fatalf("the event's pass looked at the runtime %d times, want none", n)
	}
}
