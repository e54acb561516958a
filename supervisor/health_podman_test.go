package supervisor_test

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestHealth_ExecProbe_Podman: on real podman, a container makes a file at
// start and its exec probe (`test -f`, interval 1s, retries 2) checks it.
// Once the file is removed with `podman exec`, the prober finds it
// unhealthy, a pass stops it with an unhealthy event, and the next starts
// it again, where the file is made anew and the probe passes. Passes run
// every 200ms, as the prober's wake-up would ask for one.
func TestHealth_ExecProbe_Podman(t *testing.T) {
	t.Parallel()
	rt := podmantest.New(t) // skips without podman, fails instead under VELOSLET_REQUIRE_TOOLS=1
	testExecProbe(t, rt, podmantest.Image, func(t *testing.T) {
		podmantest.Env(t)
		rm := exec.Command(rt.Binary, "exec", rt.Prefix+"app", "busybox", "rm", "/tmp/ready")
		rm.Env = append(rm.Environ(), rt.Env...)
		if out, err := rm.CombinedOutput(); err != nil {
			t.Fatalf("podman exec rm: %v: %s", err, out)
		}
	})
}

// TestHealth_ExecProbe_Docker is the same scenario over the Engine API
// (podman's API service), the probe run by the API's exec.
func TestHealth_ExecProbe_Docker(t *testing.T) {
	t.Parallel()
	rt, _ := dockertest.New(t)
	testExecProbe(t, rt, dockertest.Image, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := dockertest.Exec(ctx, rt, rt.Prefix+"app", "busybox", "rm", "/tmp/ready"); err != nil {
			t.Fatalf("exec rm: %v: %s", err, out)
		}
	})
}

func testExecProbe(t *testing.T, rt runtime.Runtime, image string, removeFile func(t *testing.T)) {
	ctx := context.Background()
	s := supervisor.New(storetest.MustOpenDB(t), rt)
	s.Logger = quiet
	p := supervisor.NewProber(rt)
	s.Prober = p
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	storetest.MustApply(t, s.DB, store.Spec{UID: "app", Container: vspec.Container{Image: image,
		Command: []string{"sh", "-c", "echo ready > /tmp/ready; exec sleep 3600"}},
		Health: &vspec.HealthCheck{Cmd: []string{"busybox", "test", "-f", "/tmp/ready"},
			Interval: vspec.Duration(time.Second), Timeout: vspec.Duration(3 * time.Second), Retries: 2}})
	pass := func() error { return s.Reconcile(ctx) }
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		if err := pass(); err != nil {
			return err
		}
		if h, _ := p.Status("app"); h.State != supervisor.HealthHealthy {
			return fmt.Errorf("app health %s (%s)", h.State, h.Last.Output)
		}
		return nil
	})
	first := instanceOf(t, s.DB, "app")

	removeFile(t)
	removed := time.Now()
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		if err := pass(); err != nil {
			return err
		}
		rec := instanceOf(t, s.DB, "app")
		if rec.RestartCount < 1 || rec.State != store.InstanceRunning {
			return fmt.Errorf("app %s, %d restarts", rec.State, rec.RestartCount)
		}
		return nil
	})
	t.Logf("restarted %s after the file was removed", time.Since(removed).Round(100*time.Millisecond))
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "app", Kind: store.EventUnhealthy})
	if err != nil || len(evs) != 1 || !afterRetries.MatchString(evs[0].Reason) {
		t.Fatalf("unhealthy events %+v, %v", evs, err)
	}
	storetest.RetryUntil(t, 200*time.Millisecond, 30*time.Second, func() error {
		if err := pass(); err != nil {
			return err
		}
		if h, _ := p.Status("app"); h.State != supervisor.HealthHealthy {
			return fmt.Errorf("app health %s after the restart (%s)", h.State, h.Last.Output)
		}
		return nil
	})
	if list, err := rt.List(ctx); err != nil || len(list) != 1 || list[0].State != runtime.StateRunning {
		t.Fatalf("listed %+v, %v; want one app running", list, err)
	}
	if rec := instanceOf(t, s.DB, "app"); rec.RuntimeID != first.RuntimeID {
		t.Logf("relaunched as a new container %s (was %s)", rec.RuntimeID, first.RuntimeID)
	}
}
