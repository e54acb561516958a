package supervisor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_UnhealthyIsRestarted: a running instance whose exec probe
// hangs turns unhealthy; the next pass stops it with an unhealthy event
// carrying the probe's words and counts one failure, as an exit; the pass
// after starts it again (in place), and its probes pass again. The health
// table says what the prober found all along.
func TestSupervisor_UnhealthyIsRestarted(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	p := supervisor.NewProber(rt)
	s.Prober = p
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	hc := &vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(vspec.MinHealthInterval),
		Timeout: vspec.Duration(50 * time.Millisecond), Retries: 2}
	storetest.MustApply(t, s.DB, store.Spec{UID: "db", Container: vspec.Container{Image: "postgres"}, Health: hc},
		store.Spec{UID: "web", Container: vspec.Container{Image: "nginx"}})
	mustReconcile(t, s) // launches
	mustReconcile(t, s) // probes what runs
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	if _, ok := p.Status("web"); ok {
		t.Fatal("web has no probe but is probed")
	}

	if err := rt.SetExec("db", fake.ExecResult{Hang: true}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
	clock.Add(time.Second)
	mustReconcile(t, s) // stops it
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventUnhealthy})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !afterRetries.MatchString(evs[0].Reason) || !strings.Contains(evs[0].Reason, "no answer within the timeout") {
		t.Fatalf("unhealthy events %+v", evs)
	}
	rec := instanceOf(t, s.DB, "db")
	if rec.State != store.InstanceExited || rec.ConsecutiveFailures != 1 {
		t.Fatalf("after the unhealthy stop: state %s, %d failures; want exited, 1", rec.State, rec.ConsecutiveFailures)
	}
	hs, err := s.DB.FindHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].UID != "db" || hs[0].State != "unhealthy" || hs[0].Probe != "cmd" {
		t.Fatalf("health rows %+v, want db unhealthy", hs)
	}

	clock.Add(time.Second)
	mustReconcile(t, s) // starts it again: the first failure in a row relaunches at once
	rec = instanceOf(t, s.DB, "db")
	if rec.State != store.InstanceRunning || rec.RestartCount != 1 {
		t.Fatalf("after the restart: state %s, restarts %d; want running, 1", rec.State, rec.RestartCount)
	}
	mustReconcile(t, s) // probes the new run
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	mustReconcile(t, s)
	if hs, _ := s.DB.FindHealth(ctx); len(hs) != 1 || hs[0].State != "healthy" {
		t.Fatalf("health rows %+v, want db healthy", hs)
	}
}

func instanceOf(t *testing.T, db *store.DB, uid string) *store.Instance {
	t.Helper()
	recs, err := storetest.FindInstances(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.UID == uid {
			return r
		}
	}
	t.Fatalf("no record of %s", uid)
	return nil
}
