package supervisor_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_DependsOnOrder: web waits for app (started), app for db
// (healthy). db launches first; app waits, and the plan says for what,
// until db's probe passes; web launches once app runs. After a reboot
// (the boot time moved, everything exited) the same order holds.
func TestSupervisor_DependsOnOrder(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	boot := clock.Now().Add(-time.Hour)
	s.BootTime = func() (time.Time, error) { return boot, nil }
	p := supervisor.NewProber(rt)
	p.Now = clock.Now // the clock that stamps the instances' starts
	s.Prober = p
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	storetest.MustApply(t, s.DB,
		store.Spec{UID: "db", Container: vspec.Container{Image: "postgres"}, Health: &vspec.HealthCheck{Cmd: []string{"pg_isready"},
			// Within its start period on the injected clock, db's failures do
			// not count: it stays starting, neither healthy nor restarted.
			Interval: vspec.Duration(vspec.MinHealthInterval), Timeout: vspec.Duration(time.Second), StartPeriod: vspec.Duration(time.Hour)}},
		store.Spec{UID: "app", Container: vspec.Container{Image: "app"}, DependsOn: vspec.DependsOn{"db": {Condition: vspec.DependHealthy}}},
		store.Spec{UID: "web", Container: vspec.Container{Image: "web"}, DependsOn: vspec.DependsOn{"app": {Condition: vspec.DependStarted}}})

	res := mustPass(t, s)
	wantRunning(t, rt, "db")
	wantWait(t, res, "app", "waiting for db (healthy)")
	wantWait(t, res, "web", "waiting for app (started)")
	if err := rt.SetExec("db", fake.ExecResult{Code: 2, Output: "no response"}); err != nil {
		t.Fatal(err)
	}
	mustPass(t, s) // hands db's instance to the prober (the scheduler runs it at once)
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return !h.Last.At.IsZero() })
	res = mustPass(t, s)
	wantRunning(t, rt, "db")
	wantWait(t, res, "app", "waiting for db (healthy)")

	if err := rt.SetExec("db", fake.ExecResult{}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	res = mustPass(t, s)
	wantRunning(t, rt, "db", "app")
	wantWait(t, res, "web", "waiting for app (started)")
	mustPass(t, s)
	wantRunning(t, rt, "app", "db", "web")

	// A reboot: everything exited, the boot time after their starts.
	clock.Add(time.Minute)
	boot = clock.Now()
	clock.Add(time.Second)
	for _, uid := range []string{"db", "app", "web"} {
		if err := rt.Real().SetExited(uid, 137); err != nil {
			t.Fatal(err)
		}
	}
	res = mustPass(t, s)
	wantRunning(t, rt, "db")
	wantWait(t, res, "app", "waiting for db (healthy)")
	res = mustPass(t, s) // db's new run goes to the prober, starting afresh
	wantWait(t, res, "app", "waiting for db (healthy)")
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	for range 3 {
		mustPass(t, s)
	}
	wantRunning(t, rt, "app", "db", "web")
}

func mustPass(t *testing.T, s *supervisor.Supervisor) *supervisor.PassResult {
	t.Helper()
	res, err := s.Pass(context.Background(), supervisor.PassOptions{Trigger: store.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantWait(t *testing.T, res *supervisor.PassResult, uid, why string) {
	t.Helper()
	for _, a := range res.Plan.Actions {
		if a.UID == uid {
			if a.Kind != supervisor.ActWait || !strings.Contains(a.Reason, why) {
				t.Fatalf("%s: %s %q, want wait %q", uid, a.Kind, a.Reason, why)
			}
			return
		}
	}
	t.Fatalf("%s: no action, want wait %q", uid, why)
}

// wantRunning checks that exactly uids run.
func wantRunning(t *testing.T, rt *fake.Runtime, uids ...string) {
	t.Helper()
	list, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range list {
		if in.State == runtime.StateRunning {
			got = append(got, in.UID)
		}
	}
	slices.Sort(got)
	slices.Sort(uids)
	if strings.Join(got, ",") != strings.Join(uids, ",") {
		t.Fatalf("running %v, want %v", got, uids)
	}
}
