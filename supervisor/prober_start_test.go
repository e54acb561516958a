package supervisor_test

import (
	"context"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestProber_UnknownStartKeepsStartPeriod: the Engine API lists no start
// time for a running container, so a target may be set with a zero start.
// Its start period then counts from when it is first set, not from the
// zero time (which would make every early failure count); a later call
// with the start known, or unknown again, keeps its state; a new start of
// the same container starts afresh.
func TestProber_UnknownStartKeepsStartPeriod(t *testing.T) {
	rt := fake.New()
	p, log := startProber(t, rt, 2)
	id, started := runFake(t, rt, "db")
	if err := rt.SetExec("db", fake.ExecResult{Code: 1, Output: "not ready"}); err != nil {
		t.Fatal(err)
	}
	hc := vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(10 * time.Millisecond),
		Timeout: vspec.Duration(time.Second), Retries: 1, StartPeriod: vspec.Duration(time.Hour)}
	p.Set("db", id, time.Time{}, hc, nil)
	first := waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return !h.Last.At.IsZero() })
	p.Set("db", id, time.Time{}, hc, nil) // still unknown: the same target
	p.Set("db", id, started, hc, nil)     // now known: the same run, kept
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.Last.At.After(first.Last.At) })
	if h, _ := p.Status("db"); h.State != supervisor.HealthStarting || h.Failures != 0 || log.count("db") != 0 {
		t.Fatalf("within the start period: %s with %d failures (told %d times), want starting with none",
			h.State, h.Failures, log.count("db"))
	}
	if err := rt.SetExec("db", fake.ExecResult{}); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	p.Set("db", id, started, hc, nil)
	p.Set("db", id, time.Time{}, hc, nil)
	if h, _ := p.Status("db"); h.State != supervisor.HealthHealthy {
		t.Fatalf("the same run set again: %s, want its state kept", h.State)
	}
	// The probe fails again, so that a probe run between the Set and the
	// read below (every 10 ms) cannot turn the new start healthy at once.
	if err := rt.SetExec("db", fake.ExecResult{Code: 1, Output: "not ready"}); err != nil {
		t.Fatal(err)
	}
	p.Set("db", id, started.Add(time.Minute), hc, nil) // started again in place
	if h, _ := p.Status("db"); h.State != supervisor.HealthStarting {
		t.Fatalf("a new start of the same container: %s, want starting afresh", h.State)
	}
}

// TestProber_StartPeriodOnItsClock: a start period is measured on the
// prober's Now, the clock that stamped the instance's start, and the
// results carry it: an hour of that clock, not of the wall's, ends it.
func TestProber_StartPeriodOnItsClock(t *testing.T) {
	rt := fake.New()
	clock := storetest.NewClock()
	rt.Now = clock.Now
	p := supervisor.NewProber(rt)
	p.Now = clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	id, started := runFake(t, rt, "db")
	if !started.Equal(clock.Now()) {
		t.Fatalf("started %s, want the injected clock's %s", started, clock.Now())
	}
	if err := rt.SetExec("db", fake.ExecResult{Code: 1, Output: "not ready"}); err != nil {
		t.Fatal(err)
	}
	hc := vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(10 * time.Millisecond),
		Timeout: vspec.Duration(time.Second), Retries: 1, StartPeriod: vspec.Duration(time.Hour)}
	p.Set("db", id, started, hc, nil)
	first := waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return !h.Last.At.IsZero() })
	if !first.Last.At.Equal(clock.Now()) || first.State != supervisor.HealthStarting || first.Failures != 0 {
		t.Fatalf("a failure at %s within the hour: %+v, want starting, uncounted, stamped %s", first.Last.At, first, clock.Now())
	}
	clock.Add(time.Hour + time.Second)
	h := waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
	if h.Failures != 1 || !h.Last.At.Equal(clock.Now()) {
		t.Fatalf("after the start period: %+v, want one failure stamped %s", h, clock.Now())
	}
}
