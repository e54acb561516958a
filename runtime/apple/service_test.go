package apple_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestService_StartedWhenDown: with StartService, a call that finds the
// container service down (after a reboot nothing starts it) runs `container
// system start --disable-kernel-install` once and is answered.
func TestService_StartedWhenDown(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	ctx := context.Background()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "web", Container: vspec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	emuVerb(t, rt.Env, "emu-service", "down")
	calls := appletest.LogCalls(t, rt)
	rt.StartService = true
	l, err := rt.List(ctx)
	if err != nil || len(l) != 1 || l[0].State != runtime.StateExited || !l[0].ServiceRestarted {
		t.Fatalf("list %+v, %v; want the container, stopped by the reboot, marked ServiceRestarted", l, err)
	}
	want := [][]string{{"list", "--all", "--format", "json"}, {"system", "start", "--disable-kernel-install"}, {"list", "--all", "--format", "json"}}
	if got := calls.Argv(t); len(got) < 3 || !slices.EqualFunc(got[:3], want, slices.Equal) {
		t.Fatalf("calls %q, want %q", got, want)
	}
	if st := rt.ServiceState(); st != "" {
		t.Fatalf("ServiceState %q after the start, want empty", st)
	}
}

// TestService_OffSaysDown: without StartService the call fails as before and
// ServiceState says since when the service is down and what to run.
func TestService_OffSaysDown(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	emuVerb(t, rt.Env, "emu-service", "down")
	_, err := rt.List(context.Background())
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
	if st := rt.ServiceState(); !strings.HasPrefix(st, "container service down since ") || !strings.Contains(st, "container system start") {
		t.Fatalf("ServiceState %q", st)
	}
}

// TestService_StartBacksOff: a service that will not start is asked again
// only after a back-off that doubles (2s, 4s, …), however many calls meet
// it meanwhile: veloslet never spins on `system start`.
func TestService_StartBacksOff(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	rt.Env = append(rt.Env, "CONTAINER_EMU_DOWN=1") // a broken install: the start fails too
	calls := appletest.LogCalls(t, rt)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rt.Now = func() time.Time { return now }
	rt.StartService = true
	ctx := context.Background()
	starts := func() int { return calls.Count(t, "system") }
	for i, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {0, 1}, {time.Second, 1}, {time.Second, 2}, {3 * time.Second, 2}, {time.Second, 3}} {
		now = now.Add(step.advance)
		if _, err := rt.List(ctx); !errors.Is(err, runtime.ErrUnavailable) {
			t.Fatalf("step %d: err %v, want ErrUnavailable", i, err)
		}
		if got := starts(); got != step.want {
			t.Fatalf("step %d: %d starts, want %d", i, got, step.want)
		}
	}
	if st := rt.ServiceState(); !strings.Contains(st, "starting it (attempt 3 failed") {
		t.Fatalf("ServiceState %q, want the failed attempts", st)
	}
}

// TestEmulator_SystemStartNeedsKernelFlag: SystemStart.swift@1.2.2: with
// no kernel configured and neither kernel flag, the command asks on stdout
// and reads stdin; without a terminal it meets end of file and fails,
// `failed to read user input`, exit 1 (the apiserver is up by then).
func TestEmulator_SystemStartNeedsKernelFlag(t *testing.T) {
	env := appletest.Env(t.TempDir(), "1.2.2")
	emuVerb(t, env, "emu-service", "down")
	stdout, stderr, code := emu(t, env, "system", "start")
	if code != 1 || !strings.Contains(stdout, "[Y/n]") || !strings.HasSuffix(strings.TrimSpace(stderr), `Error: internalError: "failed to read user input"`) {
		t.Fatalf("system start: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, _, code := emu(t, env, "system", "status"); code != 0 {
		t.Fatal("the apiserver is not up after the failed kernel prompt")
	}
	emuVerb(t, env, "emu-service", "down")
	if _, stderr, code := emu(t, env, "system", "start", "--disable-kernel-install"); code != 0 {
		t.Fatalf("system start --disable-kernel-install: exit %d, %s", code, stderr)
	}
}
