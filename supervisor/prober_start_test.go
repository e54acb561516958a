package supervisor_test

import (
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
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
