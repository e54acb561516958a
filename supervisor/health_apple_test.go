package supervisor_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestHealth_ExecProbe_AppleEmulator: on the Apple CLI's emulator, whose
// `container exec` keeps a container's files, an exec probe (`test -f`)
// passes once the file is made, turns unhealthy once it is removed, and
// the container is stopped with an unhealthy event and started again.
// Apple's own CLI has no health checks: this is veloslet's.
func TestHealth_ExecProbe_AppleEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rt, _ := appletest.New(t, "1.2.2")
	s := supervisor.New(storetest.MustOpenDB(t), rt)
	s.Logger = quiet
	p := supervisor.NewProber(rt)
	s.Prober = p
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(pctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	storetest.MustApply(t, s.DB, store.Spec{UID: "app",
		Container: vspec.Container{Image: "docker.io/library/alpine:3.20", Command: []string{"sleep", "infinity"}},
		Health: &vspec.HealthCheck{Cmd: []string{"test", "-f", "/tmp/ready"}, Interval: vspec.Duration(vspec.MinHealthInterval),
			Timeout: vspec.Duration(10 * time.Second), Retries: 2, StartPeriod: vspec.Duration(time.Hour)}})
	mustReconcile(t, s)
	if code, err := rt.Exec(ctx, "app", []string{"touch", "/tmp/ready"}, io.Discard); err != nil || code != 0 {
		t.Fatalf("exec touch: %d, %v", code, err)
	}
	storetest.RetryUntil(t, 100*time.Millisecond, 30*time.Second, func() error {
		mustReconcile(t, s)
		if h, _ := p.Status("app"); h.State != supervisor.HealthHealthy {
			return fmt.Errorf("app health %s (%s)", h.State, h.Last.Output)
		}
		return nil
	})
	if code, err := rt.Exec(ctx, "app", []string{"rm", "/tmp/ready"}, io.Discard); err != nil || code != 0 {
		t.Fatalf("exec rm: %d, %v", code, err)
	}
	storetest.RetryUntil(t, 100*time.Millisecond, 30*time.Second, func() error {
		mustReconcile(t, s)
		rec := instanceOf(t, s.DB, "app")
		if rec.RestartCount < 1 || rec.State != store.InstanceRunning {
			return fmt.Errorf("app %s, %d restarts", rec.State, rec.RestartCount)
		}
		return nil
	})
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "app", Kind: store.EventUnhealthy})
	if err != nil || len(evs) != 1 {
		t.Fatalf("unhealthy events %+v, %v; want one", evs, err)
	}
}
