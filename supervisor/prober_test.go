package supervisor_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/supervisor"
)

// waitHealth polls uid's probe state until ok says so, or fails at the deadline.
func waitHealth(t *testing.T, p *supervisor.Prober, uid string, ok func(supervisor.HealthStatus) bool) supervisor.HealthStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h, _ := p.Status(uid)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: health %+v at the deadline", uid, h)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startProber(t *testing.T, rt runtime.Runtime, concurrency int) (*supervisor.Prober, *unhealthyLog) {
	t.Helper()
	p := supervisor.NewProber(rt)
	p.Concurrency = concurrency
	log := &unhealthyLog{}
	p.OnUnhealthy = log.add
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p, log
}

type unhealthyLog struct {
	mu   sync.Mutex
	uids []string
}

func (l *unhealthyLog) add(uid string) { l.mu.Lock(); l.uids = append(l.uids, uid); l.mu.Unlock() }
func (l *unhealthyLog) count(uid string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, u := range l.uids {
		if u == uid {
			n++
		}
	}
	return n
}

func runFake(t *testing.T, rt *fake.Runtime, uid string) (runtime.InstanceID, time.Time) {
	t.Helper()
	id, err := rt.Run(context.Background(), runtime.RunSpec{UID: uid, Container: vspec.Container{Image: "busybox"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := rt.Containers()
	for _, c := range cs {
		if c.ID == string(id) {
			return id, c.StartedAt
		}
	}
	t.Fatalf("%s not listed", uid)
	return "", time.Time{}
}

// TestProber_HungInstanceTurnsUnhealthy: a fake instance whose exec hangs
// fails each probe at its timeout; after Retries failures in a row it is
// unhealthy, once, with the probe's words; a healthy neighbour is probed
// on meanwhile, unhindered by the hung one.
func TestProber_HungInstanceTurnsUnhealthy(t *testing.T) {
	rt := fake.New()
	p, log := startProber(t, rt, 1) // even with one slot, the hung probe holds it only for its timeout
	hc := vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(20 * time.Millisecond),
		Timeout: vspec.Duration(30 * time.Millisecond), Retries: 2}
	idA, startA := runFake(t, rt, "a")
	idB, startB := runFake(t, rt, "b")
	p.Set("a", idA, startA, hc, nil)
	p.Set("b", idB, startB, hc, nil)
	waitHealth(t, p, "a", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	if err := rt.SetExec("a", fake.ExecResult{Hang: true}); err != nil {
		t.Fatal(err)
	}
	h := waitHealth(t, p, "a", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
	if h.Failures < 2 || !strings.Contains(h.Last.Output, "no answer within the timeout") {
		t.Fatalf("unhealthy with %d failures, last %q", h.Failures, h.Last.Output)
	}
	if n := log.count("a"); n != 1 {
		t.Fatalf("told of a's unhealthiness %d times, want once", n)
	}
	// b kept being probed: its last result is newer than a's turn.
	turn := h.Last.At
	waitHealth(t, p, "b", func(h supervisor.HealthStatus) bool {
		return h.State == supervisor.HealthHealthy && h.Last.At.After(turn)
	})
}

// TestProber_StartPeriodAndRecovery: failures within the start period do
// not count; a success clears the count; an exit code and the output are
// kept, redacted.
func TestProber_StartPeriodAndRecovery(t *testing.T) {
	rt := fake.New()
	p, log := startProber(t, rt, 4)
	id, started := runFake(t, rt, "db")
	if err := rt.SetExec("db", fake.ExecResult{Code: 2, Output: "no response: password hunter2\n"}); err != nil {
		t.Fatal(err)
	}
	hc := vspec.HealthCheck{Cmd: []string{"pg_isready"}, Interval: vspec.Duration(10 * time.Millisecond),
		Timeout: vspec.Duration(time.Second), Retries: 1, StartPeriod: vspec.Duration(time.Hour)}
	p.Set("db", id, started, hc, map[string]string{"PGPASSWORD": "hunter2"})
	h := waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return !h.Last.At.IsZero() })
	if h.State != supervisor.HealthStarting || h.Failures != 0 {
		t.Fatalf("within the start period: %s with %d failures, want starting with none", h.State, h.Failures)
	}
	if !strings.Contains(h.Last.Output, "exit 2") || strings.Contains(h.Last.Output, "hunter2") {
		t.Fatalf("last output %q: want the exit code, without the secret", h.Last.Output)
	}
	if err := rt.SetExec("db", fake.ExecResult{}); err != nil { // ready: the start period ends
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	if err := rt.SetExec("db", fake.ExecResult{Code: 1}); err != nil { // after it, one failure is enough
		t.Fatal(err)
	}
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
	if log.count("db") != 1 {
		t.Fatalf("told %d times, want once", log.count("db"))
	}
	// A new instance starts afresh.
	p.Set("db", "other-id", time.Now(), hc, nil)
	if h, _ := p.Status("db"); h.State != supervisor.HealthStarting || h.InstanceID != "other-id" {
		t.Fatalf("after a new instance: %+v", h)
	}
}

// TestProber_HTTPAndTCP: an http probe is healthy on 2xx and 3xx and not
// on 5xx or a server that does not answer in time; a tcp probe on a
// listening port is healthy and not on a closed one.
func TestProber_HTTPAndTCP(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusFound)
	freeze := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status.Load() == 0 {
			select {
			case <-freeze:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	defer close(freeze)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcpAddr := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()

	p, _ := startProber(t, fake.New(), 4)
	every := vspec.Duration(10 * time.Millisecond)
	p.Set("web", "w1", time.Now(), vspec.HealthCheck{HTTP: srv.URL + "/healthz", Interval: every, Timeout: vspec.Duration(100 * time.Millisecond), Retries: 1}, nil)
	p.Set("db", "d1", time.Now(), vspec.HealthCheck{TCP: tcpAddr, Interval: every, Timeout: vspec.Duration(time.Second), Retries: 1}, nil)
	waitHealth(t, p, "web", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })

	status.Store(http.StatusServiceUnavailable)
	h := waitHealth(t, p, "web", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
	if !strings.Contains(h.Last.Output, "503") {
		t.Fatalf("last output %q, want the status", h.Last.Output)
	}
	status.Store(http.StatusOK)
	waitHealth(t, p, "web", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	status.Store(0) // frozen: accepts, never answers
	waitHealth(t, p, "web", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })

	_ = ln.Close()
	waitHealth(t, p, "db", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthUnhealthy })
}

// TestProber_Metrics: the health gauge counts probed uids per state and
// the duration histogram counts probes by kind, with no uid label.
func TestProber_Metrics(t *testing.T) {
	rt := fake.New()
	p := supervisor.NewProber(rt)
	reg := prometheus.NewRegistry()
	if err := supervisor.RegisterProbeMetrics(reg, p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	id, started := runFake(t, rt, "a")
	p.Set("a", id, started, vspec.HealthCheck{Cmd: []string{"true"}, Interval: vspec.Duration(10 * time.Millisecond), Timeout: vspec.Duration(time.Second)}, nil)
	waitHealth(t, p, "a", func(h supervisor.HealthStatus) bool { return h.State == supervisor.HealthHealthy })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		switch mf.GetName() {
		case "veloslet_health":
			got := map[string]float64{}
			for _, m := range mf.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
			if len(got) != 3 || got["healthy"] != 1 || got["starting"] != 0 || got["unhealthy"] != 0 {
				t.Fatalf("veloslet_health %v, want healthy 1, starting 0, unhealthy 0", got)
			}
			seen++
		case "veloslet_probe_duration_seconds":
			m := mf.GetMetric()
			if len(m) != 1 || len(m[0].GetLabel()) != 1 || m[0].GetLabel()[0].GetValue() != "cmd" || m[0].GetHistogram().GetSampleCount() == 0 {
				t.Fatalf("probe duration histogram %v", m)
			}
			seen++
		}
	}
	if seen != 2 {
		t.Fatalf("%d of the 2 probe metrics gathered", seen)
	}
}
