package supervisor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// fastCheck probes every 100ms; two failures in a row are unhealthy.
func fastCheck(startPeriod time.Duration) *vspec.HealthCheck {
	return &vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(vspec.MinHealthInterval),
		Timeout: vspec.Duration(time.Second), Retries: 2, StartPeriod: vspec.Duration(startPeriod)}
}

func probedSpec(uid string, hc *vspec.HealthCheck, deps vspec.DependsOn) store.Spec {
	return store.Spec{UID: uid, Container: vspec.Container{Image: "busybox", Command: []string{"sleep", "infinity"}},
		Health: hc, DependsOn: deps, Restart: store.RestartAlways}
}

// wantRestartedOnce runs passes until uid runs again after one restart for
// unhealthiness, and checks that it was one, with one unhealthy event.
func wantRestartedOnce(t *testing.T, h *probedHost, uid string) {
	t.Helper()
	h.passUntil(func(*supervisor.PassResult) error {
		if rec := h.record(uid); rec.RestartCount < 1 || rec.State != store.InstanceRunning {
			return fmt.Errorf("%s %s, %d restarts", uid, rec.State, rec.RestartCount)
		}
		return nil
	})
	if evs := h.eventsOf(uid, store.EventUnhealthy); len(evs) != 1 || !afterRetries.MatchString(evs[0].Reason) {
		t.Fatalf("%s unhealthy events %+v, want one", uid, evs)
	}
	if rec := h.record(uid); rec.RestartCount != 1 {
		t.Fatalf("%s restarted %d times, want once", uid, rec.RestartCount)
	}
}

// TestHealthCrash_WhileUnhealthy: veloslet is killed once its prober has
// found db unhealthy, before a pass acted on it. What the prober knew dies
// with it; the new process probes the instance it finds running, finds it
// unhealthy in turn and restarts it, in place, once, with one unhealthy
// event; web, healthy all along, is left alone.
func TestHealthCrash_WhileUnhealthy(t *testing.T) {
	t.Parallel()
	h := newProbedHost(t)
	storetest.MustApply(t, h.s.DB, probedSpec("db", fastCheck(0), nil), probedSpec("web", nil, nil))
	h.pass() // launches
	h.pass() // hands db's instance to the prober
	waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.State == supervisor.HealthHealthy })
	web := h.record("web")
	if err := h.rt.SetExec("db", fake.ExecResult{Code: 1, Output: "no response"}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.State == supervisor.HealthUnhealthy })
	h.crash()

	wantRestartedOnce(t, h, "db")
	if rec := h.record("web"); rec.RuntimeID != web.RuntimeID || rec.RestartCount != 0 {
		t.Fatalf("web %+v, was %+v: touched", rec, web)
	}
	h.check(map[string]int{"db": 1, "web": 1})
}

// TestHealthCrash_InUnhealthyAction: veloslet is killed at each point of
// the action that stops an unhealthy instance: before the stop, after it,
// before and after its outcome is written. The new process converges to
// db running in the same container, restarted once, never twice and never
// duplicated, the failure counted once and told by one unhealthy event:
// killed after the stop and before the write, the new process finds the
// cause in the health row the dead one wrote when it planned the stop.
func TestHealthCrash_InUnhealthyAction(t *testing.T) {
	t.Parallel()
	for _, point := range []supervisor.CrashPoint{supervisor.CrashBeforeStop, supervisor.CrashAfterStop,
		supervisor.CrashBeforeRecord, supervisor.CrashAfterRecord} {
		t.Run(string(point), func(t *testing.T) {
			t.Parallel()
			h := newProbedHost(t)
			storetest.MustApply(t, h.s.DB, probedSpec("db", fastCheck(0), nil))
			h.pass()
			h.pass()
			waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.State == supervisor.HealthHealthy })
			if err := h.rt.SetExec("db", fake.ExecResult{Code: 1}); err != nil {
				t.Fatal(err)
			}
			waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.State == supervisor.HealthUnhealthy })
			h.mu.Lock()
			h.hook = func(p supervisor.CrashPoint, a *supervisor.Action) bool {
				return p == point && a != nil && a.Kind == supervisor.ActUnhealthy
			}
			h.mu.Unlock()
			if res := h.pass(); res != nil {
				t.Fatalf("the pass did not die at %s: %+v", point, res.Plan.Actions)
			}
			h.passUntil(func(*supervisor.PassResult) error {
				rec := h.record("db")
				if rec.State != store.InstanceRunning || rec.RestartCount < 1 {
					return fmt.Errorf("db %s, %d restarts", rec.State, rec.RestartCount)
				}
				if s, _ := h.p.Status("db"); s.State != supervisor.HealthHealthy {
					return fmt.Errorf("db health %s", s.State)
				}
				return nil
			})
			rec := h.record("db")
			if evs := h.eventsOf("db", store.EventUnhealthy); len(evs) != 1 || !afterRetries.MatchString(evs[0].Reason) {
				for _, ev := range evs {
					t.Logf("unhealthy event: %s", ev.Reason)
				}
				t.Fatalf("%d unhealthy events, want one, 2/2", len(evs))
			}
			if rec.RestartCount != 1 || rec.ConsecutiveFailures != 1 {
				t.Fatalf("db restarted %d times, %d failures counted; want one of each", rec.RestartCount, rec.ConsecutiveFailures)
			}
			h.mu.Lock()
			starts := h.starts["db"]
			h.mu.Unlock()
			if starts != 1 {
				t.Fatalf("db started in place %d times, want once", starts)
			}
			h.check(map[string]int{"db": 1})
		})
	}
}

// TestHealthCrash_WhileDependantWaits: app waits for db to be healthy; db
// runs, its probe failing within its start period. veloslet is killed. The
// new process keeps app waiting (what the old one knew of db's health is
// not trusted: the new prober has to see a pass), launches it once db's
// probe passes, once. Then, killed again, the host reboots while veloslet
// is down: the new process relaunches db first and app only after db's
// probe passes again, each in its own container, in place.
func TestHealthCrash_WhileDependantWaits(t *testing.T) {
	t.Parallel()
	h := newProbedHost(t)
	storetest.MustApply(t, h.s.DB, probedSpec("db", fastCheck(time.Hour), nil),
		probedSpec("app", nil, vspec.DependsOn{"db": {Condition: vspec.DependHealthy}}))
	h.pass()
	if err := h.rt.SetExec("db", fake.ExecResult{Code: 1, Output: "starting up"}); err != nil {
		t.Fatal(err)
	}
	h.pass()
	waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return !s.Last.At.IsZero() })
	h.crash()

	for range 3 {
		res := h.pass()
		wantWait(t, res, "app", "waiting for db (healthy)")
		waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return !s.Last.At.IsZero() })
	}
	if s, _ := h.p.Status("db"); s.State != supervisor.HealthStarting {
		t.Fatalf("db health %s after the crash, want starting (failures in the start period do not count)", s.State)
	}
	if countOf(h.rt.Real(), "app") != 0 {
		t.Fatal("app launched while db was not healthy")
	}
	if err := h.rt.SetExec("db", fake.ExecResult{}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.State == supervisor.HealthHealthy })
	h.passUntil(func(*supervisor.PassResult) error {
		if countOf(h.rt.Real(), "app") != 1 {
			return fmt.Errorf("app not launched")
		}
		return nil
	})
	if n := len(h.eventsOf("db", store.EventUnhealthy)); n != 0 {
		t.Fatalf("db: %d unhealthy events within its start period", n)
	}

	// A reboot while veloslet is down: both exited, the boot after their starts.
	h.kill()
	for _, uid := range []string{"db", "app"} {
		if err := h.rt.Real().SetExited(uid, 137); err != nil {
			t.Fatal(err)
		}
	}
	h.boot = time.Now()
	h.start()
	res := h.pass()
	wantWait(t, res, "app", "waiting for db (healthy)")
	wantRunningFake(t, h.rt, "db")
	h.passUntil(func(res *supervisor.PassResult) error {
		if res == nil || countRunning(t, h.rt, "app") == 0 {
			return fmt.Errorf("app not running again")
		}
		return nil
	})
	if evs := h.eventsOf("app", store.EventRelaunched); len(evs) != 1 {
		t.Fatalf("app relaunched %d times, want once", len(evs))
	}
	h.check(map[string]int{"db": 1, "app": 1})
}

// TestHealthCrash_DuringStartPeriod: db's probe fails from its start; its
// start period has two seconds left when veloslet is killed. The new
// process measures the period from the instance's start, not from its
// own: failures still within it do not count (no restart at once), and
// once it is over two failures make db unhealthy, restarted once in place.
// The restart begins a new start period: no second restart.
func TestHealthCrash_DuringStartPeriod(t *testing.T) {
	t.Parallel()
	const period = time.Hour
	h := newProbedHost(t)
	h.rt.Now = func() time.Time { return time.Now().Add(-period + 2*time.Second) } // db's start: 2s of its period left
	storetest.MustApply(t, h.s.DB, probedSpec("db", fastCheck(period), nil))
	h.pass()
	h.rt.Now = time.Now // a restart starts now
	if err := h.rt.SetExec("db", fake.ExecResult{Code: 1, Output: "starting up"}); err != nil {
		t.Fatal(err)
	}
	h.pass()
	waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return !s.Last.At.IsZero() })
	h.crash()

	h.pass()
	s := waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return !s.Last.At.IsZero() })
	if s.State != supervisor.HealthStarting || s.Failures != 0 || h.record("db").RestartCount != 0 {
		t.Fatalf("db right after the crash: %s with %d failures, %d restarts; want starting, none",
			s.State, s.Failures, h.record("db").RestartCount)
	}
	wantRestartedOnce(t, h, "db")
	if err := h.rt.SetExec("db", fake.ExecResult{Code: 1}); err != nil { // failing again, in its new start period
		t.Fatal(err)
	}
	for range 3 {
		h.pass()
		waitHealth(t, h.p, "db", func(s supervisor.HealthStatus) bool { return s.Last.Output != "" && !s.Last.OK })
	}
	if rec := h.record("db"); rec.RestartCount != 1 || len(h.eventsOf("db", store.EventUnhealthy)) != 1 {
		t.Fatalf("db restarted %d times in its new start period", rec.RestartCount)
	}
	h.check(map[string]int{"db": 1})
}

// wantRunningFake checks that uid's container runs.
func wantRunningFake(t *testing.T, rt *fake.Runtime, uid string) {
	t.Helper()
	if countRunning(t, rt, uid) != 1 {
		t.Fatalf("%s not running", uid)
	}
}

func countRunning(t *testing.T, rt *fake.Runtime, uid string) int {
	t.Helper()
	cs, err := rt.Real().Containers()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cs {
		if c.Name == runtime.Name(runtime.DefaultNamePrefix, uid) && c.State == runtime.StateRunning {
			n++
		}
	}
	return n
}
