package supervisor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

func planOf(res *supervisor.PassResult, uid string) (supervisor.ActionKind, string) {
	for _, a := range res.Plan.Actions {
		if a.UID == uid {
			return a.Kind, a.Reason
		}
	}
	return "", ""
}

// TestSupervisor_RestartDependants: app depends on db (healthy, restart =
// true), web on db (started, no restart). db exits and is relaunched in
// place: web is left alone; app keeps running while db is down and until
// its probe passes again, then is restarted, once, as a fresh container
// with no failure counted. A dependency that did not start again restarts
// nothing.
func TestSupervisor_RestartDependants(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	p := supervisor.NewProber(rt)
	s.Prober = p
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	storetest.MustApply(t, s.DB,
		store.Spec{UID: "db", Container: vspec.Container{Image: "postgres"}, Health: &vspec.HealthCheck{Cmd: []string{"pg_isready"},
			Interval: vspec.Duration(vspec.MinHealthInterval), Timeout: vspec.Duration(time.Second)}},
		store.Spec{UID: "app", Container: vspec.Container{Image: "app"},
			DependsOn: vspec.DependsOn{"db": {Condition: vspec.DependHealthy, Restart: true}}},
		store.Spec{UID: "web", Container: vspec.Container{Image: "web"}, DependsOn: vspec.DependsOn{"db": {Condition: vspec.DependStarted}}})
	mustPass(t, s)
	mustPass(t, s) // db to the prober; web launched
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	clock.Add(time.Second)
	mustPass(t, s)
	wantRunning(t, rt, "app", "db", "web")
	app, web := instanceOf(t, s.DB, "app"), instanceOf(t, s.DB, "web")
	for range 2 {
		if kind, why := planOf(mustPass(t, s), "app"); kind != "" {
			t.Fatalf("app: %s %q with db unchanged", kind, why)
		}
	}

	clock.Add(time.Second)
	if err := rt.Real().SetExited("db", 1); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	res := mustPass(t, s) // db relaunched in place
	if kind, _ := planOf(res, "db"); kind != supervisor.ActRelaunch {
		t.Fatalf("db: %s, want relaunch", kind)
	}
	if kind, why := planOf(res, "app"); kind != "" {
		t.Fatalf("app: %s %q while db was down", kind, why)
	}
	if err := rt.SetExec("db", fake.ExecResult{Code: 2}); err != nil { // db's new run not ready yet
		t.Fatal(err)
	}
	mustPass(t, s) // hands db's new run to the prober
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return !h.Last.At.IsZero() })
	if kind, why := planOf(mustPass(t, s), "app"); kind != "" {
		t.Fatalf("app: %s %q while db's new run was not healthy", kind, why)
	}
	if err := rt.SetExec("db", fake.ExecResult{}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	storetest.RetryUntil(t, 10*time.Millisecond, 10*time.Second, func() error {
		res := mustPass(t, s)
		if kind, why := planOf(res, "app"); kind != "" {
			if kind != supervisor.ActRestart || !strings.Contains(why, "restart = true") || !strings.Contains(why, "db (at ") {
				t.Fatalf("app: %s %q, want a restart for db", kind, why)
			}
			return nil
		}
		return fmt.Errorf("app not restarted yet")
	})
	for range 3 {
		if kind, why := planOf(mustPass(t, s), "app"); kind != "" {
			t.Fatalf("app: %s %q after its restart", kind, why)
		}
	}
	wantRunning(t, rt, "app", "db", "web")
	now := instanceOf(t, s.DB, "app")
	if now.RuntimeID == app.RuntimeID || now.RestartCount != 0 || now.ConsecutiveFailures != 0 {
		t.Fatalf("app %+v after the restart, was %+v: want a fresh container, nothing counted", now, app)
	}
	if w := instanceOf(t, s.DB, "web"); w.RuntimeID != web.RuntimeID || !w.StartedAt.Time().Equal(web.StartedAt.Time()) {
		t.Fatalf("web %+v, was %+v: restarted without restart = true", w, web)
	}
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "app", Kind: store.EventReplaced})
	if err != nil || len(evs) != 1 {
		t.Fatalf("app replaced events %+v, %v; want one", evs, err)
	}
}

// TestHealthCrash_RestartDependantKilled: veloslet is killed in the middle
// of app's restart for its dependency, with app's old container removed
// and the new one not yet run. The new process launches app once db's
// probe passes, and never restarts it again: the rule reads only the
// records' start times.
func TestHealthCrash_RestartDependantKilled(t *testing.T) {
	t.Parallel()
	h := newProbedHost(t)
	storetest.MustApply(t, h.s.DB, probedSpec("db", fastCheck(0), nil),
		probedSpec("app", nil, vspec.DependsOn{"db": {Condition: vspec.DependHealthy, Restart: true}}))
	h.passUntil(func(*supervisor.PassResult) error {
		if countRunning(t, h.rt, "app") != 1 {
			return fmt.Errorf("app not running")
		}
		return nil
	})
	if err := h.rt.Real().SetExited("db", 1); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.hook = func(p supervisor.CrashPoint, a *supervisor.Action) bool {
		return p == supervisor.CrashAfterRemove && a != nil && a.UID == "app"
	}
	h.mu.Unlock()
	h.passUntil(func(res *supervisor.PassResult) error {
		if res != nil {
			return fmt.Errorf("not killed yet")
		}
		return nil
	})
	h.passUntil(func(*supervisor.PassResult) error {
		if countRunning(t, h.rt, "app") != 1 {
			return fmt.Errorf("app not running again")
		}
		return nil
	})
	for range 3 {
		if kind, why := planOf(h.pass(), "app"); kind != "" {
			t.Fatalf("app: %s %q once running again", kind, why)
		}
	}
	h.check(map[string]int{"db": 1, "app": 2})
}
