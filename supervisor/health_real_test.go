package supervisor_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// realBackend is what the health scenarios need of a real runtime.
type realBackend struct {
	rt    runtime.Runtime
	image string
	// freeze sends SIGSTOP to uid's container: alive, answering nothing.
	freeze func(t *testing.T, uid string)
}

func podmanBackend(t *testing.T) realBackend {
	rt := podmantest.New(t) // skips without podman, fails instead under VELOSLET_REQUIRE_TOOLS=1
	return realBackend{rt: rt, image: podmantest.Image, freeze: func(t *testing.T, uid string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, rt.Binary, "kill", "--signal", "STOP", rt.Prefix+uid)
		cmd.Env = rt.Environ()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman kill --signal STOP: %v: %s", err, out)
		}
	}}
}

func dockerBackend(t *testing.T) realBackend {
	rt, _ := dockertest.New(t)
	c := dockertest.Client(t, rt)
	return realBackend{rt: rt, image: dockertest.Image, freeze: func(t *testing.T, uid string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.ContainerKill(ctx, rt.Prefix+uid, client.ContainerKillOptions{Signal: "STOP"}); err != nil {
			t.Fatalf("kill with SIGSTOP: %v", err)
		}
	}}
}

// startProbing gives a supervisor over rt a prober, run until cleanup.
func startProbing(t *testing.T, rt runtime.Runtime) (*supervisor.Supervisor, *supervisor.Prober) {
	s := supervisor.New(storetest.MustOpenDB(t), rt)
	s.Logger = quiet
	p := supervisor.NewProber(rt)
	s.Prober = p
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s, p
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int { return int(runtimetest.FreePort(t)) }

func TestHealth_HTTPProbeFrozen_Podman(t *testing.T) {
	t.Parallel()
	testHTTPProbeFrozen(t, podmanBackend(t))
}

func TestHealth_HTTPProbeFrozen_Docker(t *testing.T) {
	t.Parallel()
	testHTTPProbeFrozen(t, dockerBackend(t))
}

// testHTTPProbeFrozen: busybox httpd on a published port, probed by http
// from the host (timeout 1s, interval 1s, retries 2). Its process frozen
// with SIGSTOP still holds the port, so connections are accepted by the
// kernel and never answered: the probe times out, the instance turns
// unhealthy, a pass stops it with an unhealthy event and the next starts
// it again, where it answers. Passes run every 200ms, as the prober's
// wake-up would ask for one.
func testHTTPProbeFrozen(t *testing.T, be realBackend) {
	ctx := context.Background()
	s, p := startProbing(t, be.rt)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	published, err := vspec.ParsePort(fmt.Sprintf("127.0.0.1:%d:8080", port))
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Container: vspec.Container{Image: be.image,
		Command: []string{"sh", "-c", "echo ok > /tmp/index.html; exec busybox httpd -f -p 8080 -h /tmp"},
		Network: "bridge", Ports: []vspec.Port{published}}, // the sandbox's default is no network at all
		Health: &vspec.HealthCheck{HTTP: url, Interval: vspec.Duration(time.Second), Timeout: vspec.Duration(time.Second), Retries: 2}})
	waitHealthy := func(what string) {
		storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
			if err := s.Reconcile(ctx); err != nil {
				return err
			}
			if h, _ := p.Status("web"); h.State != supervisor.HealthHealthy {
				return fmt.Errorf("web health %s %s (%s)", h.State, what, h.Last.Output)
			}
			return nil
		})
	}
	waitHealthy("at first")
	if body := get(t, url); body != "ok" {
		t.Fatalf("GET %s: %q", url, body)
	}

	be.freeze(t, "web")
	frozen := time.Now()
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		if err := s.Reconcile(ctx); err != nil {
			return err
		}
		rec := instanceOf(t, s.DB, "web")
		if rec.RestartCount < 1 || rec.State != store.InstanceRunning {
			return fmt.Errorf("web %s, %d restarts", rec.State, rec.RestartCount)
		}
		return nil
	})
	t.Logf("restarted %s after its process was frozen", time.Since(frozen).Round(100*time.Millisecond))
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "web", Kind: store.EventUnhealthy})
	if err != nil || len(evs) != 1 || !afterRetries.MatchString(evs[0].Reason) {
		t.Fatalf("unhealthy events %+v, %v; want one, 2/2", evs, err)
	}
	waitHealthy("after the restart")
	if body := get(t, url); body != "ok" {
		t.Fatalf("GET %s after the restart: %q", url, body)
	}
	if list, err := be.rt.List(ctx); err != nil || len(list) != 1 || list[0].State != runtime.StateRunning {
		t.Fatalf("listed %+v, %v; want web alone, running", list, err)
	}
}

// get fetches url from the host, polling until it answers (a relaunched
// httpd may not listen yet).
func get(t *testing.T, url string) string {
	var body string
	c := &http.Client{Timeout: 2 * time.Second}
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s, %v", url, resp.Status, err)
		}
		body = strings.TrimSpace(string(b))
		return nil
	})
	return body
}

func TestHealth_DependsOnHealthy_Podman(t *testing.T) {
	t.Parallel()
	testDependsOnHealthy(t, podmanBackend(t))
}

func TestHealth_DependsOnHealthy_Docker(t *testing.T) {
	t.Parallel()
	testDependsOnHealthy(t, dockerBackend(t))
}

// testDependsOnHealthy: app depends on db being healthy; db is ready three
// seconds after its start (its command makes the probe's file then), its
// probe failing until then within its start period. Every pass before db's
// first passing probe leaves app unlaunched, saying what it waits for; app
// starts after that probe, and the health table says db is healthy.
func testDependsOnHealthy(t *testing.T, be realBackend) {
	ctx := context.Background()
	s, p := startProbing(t, be.rt)
	var mu sync.Mutex
	var healthyAt time.Time // db's first passing probe
	p.OnChange = func(h supervisor.HealthStatus) {
		mu.Lock()
		defer mu.Unlock()
		if h.UID == "db" && h.State == supervisor.HealthHealthy && healthyAt.IsZero() {
			healthyAt = h.Last.At
		}
	}
	firstHealthy := func() time.Time { mu.Lock(); defer mu.Unlock(); return healthyAt }
	storetest.MustApply(t, s.DB,
		store.Spec{UID: "db", Container: vspec.Container{Image: be.image,
			Command: []string{"sh", "-c", "sleep 3; echo > /tmp/ready; exec sleep 3600"}},
			Health: &vspec.HealthCheck{Cmd: []string{"busybox", "test", "-f", "/tmp/ready"}, Interval: vspec.Duration(500 * time.Millisecond),
				Timeout: vspec.Duration(3 * time.Second), Retries: 2, StartPeriod: vspec.Duration(time.Minute)}},
		store.Spec{UID: "app", Container: vspec.Container{Image: be.image, Command: []string{"sleep", "3600"}},
			DependsOn: vspec.DependsOn{"db": {Condition: vspec.DependHealthy}}})

	waited, applied := 0, time.Now()
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		before := firstHealthy() // read before the pass: a pass after it may launch app
		res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
		if err != nil {
			return err
		}
		for _, a := range res.Plan.Actions {
			if a.UID == "app" && a.Kind == supervisor.ActWait && strings.Contains(a.Reason, "waiting for db (healthy)") {
				waited++
			}
		}
		list, err := be.rt.List(ctx)
		if err != nil {
			return err
		}
		for _, in := range list {
			if in.UID != "app" {
				continue
			}
			if before.IsZero() && firstHealthy().IsZero() {
				t.Fatalf("app launched (%s) before db's probe ever passed", in.State)
			}
			if in.State == runtime.StateRunning {
				return nil
			}
		}
		h, _ := p.Status("db")
		return fmt.Errorf("app not running yet; db's health %s, %d failures (%s)", h.State, h.Failures, h.Last.Output)
	})
	if waited == 0 {
		t.Fatal("no pass planned app waiting for db (healthy)")
	}
	t.Logf("db first healthy %s after the apply, app running %s after it",
		firstHealthy().Sub(applied).Round(100*time.Millisecond), time.Since(applied).Round(100*time.Millisecond))
	// As recorded when its launch returned: podman lists starts in whole
	// seconds, the Engine API none for a running container.
	started := instanceOf(t, s.DB, "app").StartedAt.Time()
	if at := firstHealthy(); !started.After(at) {
		t.Fatalf("app started at %v, db first healthy at %v", started, at)
	}
	rows, err := s.DB.FindHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, r := range rows {
		states = append(states, r.UID+"="+r.State)
	}
	if strings.Join(states, ",") != "db=healthy" {
		t.Fatalf("health rows %v; want db=healthy alone", states)
	}
	if evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "db", Kind: store.EventUnhealthy}); err != nil || len(evs) != 0 {
		t.Fatalf("db unhealthy events %+v, %v: its start period should have covered the wait", evs, err)
	}
}
