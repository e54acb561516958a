package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// waitFor polls fn with a deadline long enough for a loaded machine; the
// failure names what was awaited and what was last seen.
func waitFor(t *testing.T, what string, fn func() error) {
	t.Helper()
	storetest.RetryUntil(t, 5*time.Millisecond, 60*time.Second, func() error {
		if err := fn(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		return nil
	})
}

// concurrency counts the runtime calls under way and the most seen at once.
type concurrency struct{ now, peak atomic.Int64 }

func (c *concurrency) enter() {
	n := c.now.Add(1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
}

func (c *concurrency) leave() { c.now.Add(-1) }

func countCalls(rt *fake.Runtime, c *concurrency) {
	real := rt.Real()
	rt.RunFunc = func(ctx context.Context, s runtime.RunSpec) (runtime.InstanceID, error) {
		c.enter()
		defer c.leave()
		return real.Run(ctx, s)
	}
	rt.RemoveFunc = func(ctx context.Context, uid string) error {
		c.enter()
		defer c.leave()
		return real.Remove(ctx, uid)
	}
}

func countKind(t *testing.T, db *store.DB, kind store.EventKind) int {
	t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestSupervisor_RebootRelaunchesEverythingAtOnce lists every instance
// exited at once, as after a host reboot, with a new spec beside them: one
// pass relaunches all of them and launches the new one, with no brake hold,
// never more runtime calls at once than the concurrency bound, no duplicate.
func TestSupervisor_RebootRelaunchesEverythingAtOnce(t *testing.T) {
	for _, n := range []int{6, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { testReboot(t, n) })
	}
}

// TestSoak_RebootRelaunches500 is the reboot at 500 instances, for make soak.
func TestSoak_RebootRelaunches500(t *testing.T) { testReboot(t, 500) }

func testReboot(t *testing.T, n int) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, specs(n)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	var c concurrency
	countCalls(rt, &c)
	for _, sp := range specs(n) {
		if err := rt.Real().SetExited(sp.UID, 137); err != nil {
			t.Fatal(err)
		}
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "new", Container: vspec.Container{Image: "busybox"}})
	clock.Add(time.Second)
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.BrakeHeld || countKind(t, s.DB, store.EventBrakeHeld) > 0 {
		t.Fatal("the brake held relaunches after a reboot")
	}
	if got := running(t, rt); got != n+1 {
		t.Fatalf("%d of %d running after one pass", got, n+1)
	}
	if got := countKind(t, s.DB, store.EventRelaunched); got != n {
		t.Errorf("%d relaunched events, want %d", got, n)
	}
	if p := c.peak.Load(); p > int64(s.Concurrency) {
		t.Errorf("%d runtime calls at once, over the concurrency bound %d", p, s.Concurrency)
	}
	if dups := duplicates(rt); len(dups) > 0 {
		t.Errorf("uids with two containers: %v", dups)
	}
}

// TestSupervisor_FlakyListStillRelaunches fails every fifth list while most
// instances keep dying at once: every death is relaunched within two passes,
// since a pass that could not list neither arms nor restarts the brake.
func TestSupervisor_FlakyListStillRelaunches(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	s.Policy.BackoffInitial, s.Policy.Jitter = 0, 0 // back-off is not what this is about
	storetest.MustApply(t, s.DB, specs(10)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	var lists atomic.Int64
	rt.ListFunc = func(ctx context.Context) ([]runtime.Instance, error) {
		if lists.Add(1)%5 == 0 {
			return nil, errors.New("exit status 125: Error: database is locked (injected)")
		}
		return rt.Real().List(ctx)
	}
	all := specs(10)
	failedLists := 0
	for round := range 60 { // ten simulated minutes at one pass per 10 s
		if round%3 == 0 {
			for _, sp := range all[:7] { // most of them die at once
				_ = rt.Real().SetExited(sp.UID, 1)
			}
		}
		for pass := 1; ; pass++ {
			if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
				failedLists++
			}
			clock.Add(10 * time.Second)
			if running(t, rt) == len(all) {
				break
			}
			if pass == 2 {
				t.Fatalf("round %d: %d of %d running two passes after the deaths", round, running(t, rt), len(all))
			}
		}
	}
	if failedLists == 0 {
		t.Fatal("no list failed: the test did not test anything")
	}
	if got := countKind(t, s.DB, store.EventBrakeHeld); got > 0 {
		t.Errorf("%d brake holds for relaunches", got)
	}
}

// TestSupervisor_SlowRunDoesNotHoldUpOthers hangs one uid's Run for as long
// as its deadline allows while twenty other instances die: a later pass
// plans around the slow uid and relaunches the twenty meanwhile.
func TestSupervisor_SlowRunDoesNotHoldUpOthers(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	all := specs(20)
	storetest.MustApply(t, s.DB, all...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{})
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		if spec.UID == "slow" {
			close(entered)
			select { // a CLI that answers only at its deadline
			case <-release:
			case <-ctx.Done():
			}
			return "", fmt.Errorf("no answer within the deadline: %w", context.DeadlineExceeded)
		}
		return rt.Real().Run(ctx, spec)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "slow", Container: vspec.Container{Image: "busybox"}})
	first, err := s.Dispatch(ctx, supervisor.PassOptions{Trigger: store.TriggerChange})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	for _, sp := range all {
		_ = rt.Real().SetExited(sp.UID, 1)
	}
	done := make(chan *supervisor.PassResult, 1)
	go func() {
		res, _ := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent})
		done <- res
	}()
	select {
	case res := <-done:
		if !slices.Equal(res.Plan.InFlight, []string{"slow"}) {
			t.Errorf("in flight %v, want [slow]", res.Plan.InFlight)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the second pass waited for the slow run")
	}
	if got := running(t, rt); got != len(all) {
		t.Fatalf("%d of %d relaunched while one run hung", got, len(all))
	}
	close(release)
	if _, err := first.Wait(); err == nil || !strings.Contains(err.Error(), "1 of") {
		t.Errorf("first pass: %v, want the slow run's failure", err)
	}
}

// TestScheduler_RetryFollowsRecords runs cron hourly: a failed launch is
// retried at once (the first relaunch is immediate), and the next retry waits
// for its back-off, driven by the record written, not by cron.
func TestScheduler_RetryFollowsRecords(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	s.DB.Now, rt.Now = time.Now, time.Now // real time: the timer is real
	s.Policy.BackoffInitial, s.Policy.Jitter = 300*time.Millisecond, 0
	var mu sync.Mutex
	var calls []time.Time
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		mu.Lock()
		calls = append(calls, time.Now())
		n := len(calls)
		mu.Unlock()
		if n <= 2 {
			return "", errors.New("exit status 125: Error: short-lived failure (injected)")
		}
		return rt.Real().Run(ctx, spec)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox"}})
	startScheduler(t, s)
	waitFor(t, "the third run to launch a", func() error {
		if running(t, rt) != 1 {
			mu.Lock()
			defer mu.Unlock()
			return fmt.Errorf("%d runs so far", len(calls))
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if wait := calls[2].Sub(calls[1]); wait < s.Policy.BackoffInitial {
		t.Errorf("third run %s after the second, before the %s back-off", wait, s.Policy.BackoffInitial)
	}
}

// TestSupervisor_CancelStopsDispatch cancels a pass whose first action
// hangs: the queued actions never start and nothing is recorded as a failure.
func TestSupervisor_CancelStopsDispatch(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	s.Concurrency = 1
	entered := make(chan struct{}, 10)
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return "", ctx.Err()
	}
	storetest.MustApply(t, s.DB, specs(10)...)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := s.Dispatch(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	cancel()
	res, err := d.Wait()
	if !errors.Is(err, supervisor.ErrNotStarted) {
		t.Fatalf("pass error %v, want actions not started", err)
	}
	if got := len(entered); got != 0 {
		t.Errorf("%d more runs started after the cancel", got)
	}
	if n := countKind(t, s.DB, store.EventFailed); n != 0 {
		t.Errorf("%d failed events for a shutdown", n)
	}
	recs, _ := storetest.FindInstances(context.Background(), s.DB)
	for _, r := range recs {
		if r.ConsecutiveFailures != 0 {
			t.Errorf("%s: %d failures counted for a shutdown", r.UID, r.ConsecutiveFailures)
		}
	}
	if res.Failures != 0 {
		t.Errorf("%d failures in the result, want 0", res.Failures)
	}
}

// TestScheduler_StopWithinTimeout stops a scheduler whose action hangs until
// its context ends: Stop returns once its own deadline passes.
func TestScheduler_StopWithinTimeout(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	entered := make(chan struct{}, 10)
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return "", ctx.Err()
	}
	storetest.MustApply(t, s.DB, specs(5)...)
	sc, _ := startScheduler(t, s)
	waitFor(t, "a run in flight", func() error {
		if len(entered) == 0 {
			return errors.New("no run yet")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := sc.Stop(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop: %v, want the deadline named", err)
	}
	if n := countKind(t, s.DB, store.EventFailed); n != 0 {
		t.Errorf("%d failed events for a shutdown", n)
	}
}

// TestSupervisor_ExitRecordedBeforeRelaunch freezes a relaunch just before
// its runtime call (a start in place here): the exit, with its code, is
// already on file.
func TestSupervisor_ExitRecordedBeforeRelaunch(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox"}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	_ = rt.SetExited("a", 3)
	var seen []string
	s.SetCrashHook(func(p supervisor.CrashPoint, a *supervisor.Action) {
		if p != supervisor.CrashBeforeStart && p != supervisor.CrashBeforeRemove {
			return
		}
		evs, _ := s.DB.FindEvents(ctx, store.EventFilter{UID: "a", Kind: store.EventExited})
		recs, _ := storetest.FindInstances(ctx, s.DB)
		for _, e := range evs {
			if e.ExitCode != nil {
				seen = append(seen, fmt.Sprintf("event %d", *e.ExitCode))
			}
		}
		if len(recs) == 1 && recs[0].ExitCode != nil && recs[0].State == store.InstanceExited {
			seen = append(seen, fmt.Sprintf("record %d", *recs[0].ExitCode))
		}
	})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"event 3", "record 3"}) {
		t.Fatalf("before the relaunch the store held %v, want the exit event and record with code 3", seen)
	}
}

// TestSupervisor_StopAfterExitIsRecorded: an instance exits, then the
// operator stops its spec; status must not say running for ever.
func TestSupervisor_StopAfterExitIsRecorded(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox"}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	_ = rt.SetExited("a", 1)
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredStopped, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	recs, _ := storetest.FindInstances(ctx, s.DB)
	if len(recs) != 1 || recs[0].State != store.InstanceStopped {
		t.Fatalf("records %+v, want a stopped", recs[0])
	}
}

// TestSupervisor_OverlappingPassesCloseTheirOwnRows: a pass whose action is
// still running is not closed as abandoned by the next pass of the same
// process; a pass an earlier process left open is closed by the first pass.
func TestSupervisor_OverlappingPassesCloseTheirOwnRows(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	left, err := s.DB.CreatePass(ctx, store.TriggerStartup, 0) // a process that died mid-pass
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		if spec.UID == "slow" {
			<-release
		}
		return rt.Real().Run(ctx, spec)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "slow", Container: vspec.Container{Image: "busybox"}})
	first, err := s.Dispatch(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup})
	if err != nil {
		t.Fatal(err)
	}
	old, err := s.DB.FindPassByID(ctx, left)
	if err != nil || old.FinishedAt.Time().IsZero() || !strings.Contains(old.Error, "did not finish") {
		t.Fatalf("the earlier process's open pass: %+v, %v; want it closed as not finished", old, err)
	}
	if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
		t.Fatal(err)
	}
	res := first.ID()
	if p, err := s.DB.FindPassByID(ctx, res); err != nil || !p.FinishedAt.Time().IsZero() {
		t.Fatalf("the pass in flight was closed by the next one: %+v, %v", p, err)
	}
	close(release)
	if _, err := first.Wait(); err != nil {
		t.Fatal(err)
	}
	if p, err := s.DB.FindPassByID(ctx, res); err != nil || p.FinishedAt.Time().IsZero() || p.Error != "" {
		t.Fatalf("the first pass once done: %+v, %v; want closed without error", p, err)
	}
}

// TestSupervisor_SkippedUIDFreedDuringPlanIsWoken frees a busy uid while the
// next pass is listing: that pass skipped it, so it must ask for another
// pass itself, or the uid's news would wait for cron.
func TestSupervisor_SkippedUIDFreedDuringPlanIsWoken(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	releaseRun, releaseList, listing := make(chan struct{}), make(chan struct{}), make(chan struct{})
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		<-releaseRun
		return rt.Real().Run(ctx, spec)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "slow", Container: vspec.Container{Image: "busybox"}})
	first, err := s.Dispatch(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	rt.ListFunc = func(ctx context.Context) ([]runtime.Instance, error) {
		once.Do(func() { close(listing); <-releaseList })
		return rt.Real().List(ctx)
	}
	var wakes atomic.Int64
	s.OnWake = func(time.Time) { wakes.Add(1) }
	go func() {
		<-listing
		close(releaseRun)
		_, _ = first.Wait()
		wakes.Store(0) // only what the second pass asks for counts
		close(releaseList)
	}()
	res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Plan.InFlight, []string{"slow"}) {
		t.Fatalf("in flight %v, want [slow]", res.Plan.InFlight)
	}
	if wakes.Load() == 0 {
		t.Fatal("a uid freed while the plan was made was skipped and no pass was asked for")
	}
}

// TestScheduler_FailingActionsDoNotFeedEachOther runs cron hourly with two
// uids whose stop keeps failing and with no back-off at all on a run that
// keeps failing: each is retried a bounded number of times in a second, not
// as fast as the runtime answers.
func TestScheduler_FailingActionsDoNotFeedEachOther(t *testing.T) {
	s, rt, _ := MustNewSupervisor(t)
	s.DB.Now, rt.Now = time.Now, time.Now
	s.Policy.BackoffInitial, s.Policy.Jitter = 0, 0 // no back-off: the floor still holds
	ctx := context.Background()
	storetest.MustApply(t, s.DB, store.Spec{UID: "a", Container: vspec.Container{Image: "busybox"}}, store.Spec{UID: "b", Container: vspec.Container{Image: "busybox"}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.SetDesiredState(ctx, store.DesiredStopped, "a", "b"); err != nil {
		t.Fatal(err)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "c", Container: vspec.Container{Image: fake.MissingRegistry + "nope"}})
	var stops, runs atomic.Int64
	rt.StopFunc = func(ctx context.Context, uid string) error {
		stops.Add(1)
		time.Sleep(time.Duration(10+20*stops.Load()%2) * time.Millisecond) // a CLI's own pace
		return errors.New("exit status 125: Error: cannot stop (injected)")
	}
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		runs.Add(1)
		return rt.Real().Run(ctx, spec)
	}
	startScheduler(t, s)
	// Watch the calls for a while: this checks that something does not
	// happen, so it can only wait out a window.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := stops.Load(); n > 10 {
		t.Errorf("%d failing stops in 1.5 s with cron hourly: the two uids fed each other's passes", n)
	}
	if n := runs.Load(); n > 5 {
		t.Errorf("%d failing runs in 1.5 s with no back-off: retried as fast as the runtime answers", n)
	}
	t.Logf("%d stops, %d runs in 1.5 s", stops.Load(), runs.Load())
}

// TestWork_PullShownWhileInFlight: a launch whose runtime reports a pull
// shows in status as pulling until its outcome is recorded; a pull that
// fails leaves no pull behind either.
func TestWork_PullShownWhileInFlight(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "big", Container: vspec.Container{Image: "registry.example/big:1"}},
		store.Spec{UID: "typo", Container: vspec.Container{Image: fake.MissingRegistry + "nope:1"}})
	entered, release := make(chan struct{}), make(chan struct{})
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		if spec.UID == "big" {
			runtime.PullStarted(ctx, spec.Image)
			close(entered)
			<-release
		}
		return rt.Real().Run(ctx, spec)
	}
	d, err := s.Dispatch(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	rows, err := s.DB.FindStatus(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.PullImage == nil || *r.PullImage != "registry.example/big:1" || r.PullingSince.Time().IsZero() {
		t.Fatalf("status while pulling: image %v since %v, want the spec's image", r.PullImage, r.PullingSince.Time())
	}
	close(release)
	if _, err := d.Wait(); err == nil {
		t.Fatal("the pass with a missing image succeeded")
	}
	rows, err = s.DB.FindStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.PullImage != nil {
			t.Errorf("%s still shown pulling %s after its launch ended", r.UID, *r.PullImage)
		}
	}
}
