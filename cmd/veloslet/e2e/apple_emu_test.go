package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// appleEnv is a test env whose daemon drives the Apple CLI emulator of
// version, with cron at schedule and [runtime.apple] extra; rt lists and
// launches on the same emulated host, whose environment is env.
func appleEnv(t *testing.T, version, schedule, extra string) (e *testEnv, rt *apple.Runtime, env []string) {
	t.Helper()
	emu := appletest.Emulator(t)
	e = newTestEnv(t, "")
	state := filepath.Join(e.Dir, "emu")
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "apple"
stop_timeout = "1s"
[runtime.apple]
binary = %q
%s
[reconcile]
schedule = %q
watch_interval = "100ms"
`, e.DB, emu, extra, schedule)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env = appletest.Env(state, version)
	rt = apple.New(emu)
	rt.Env = env
	return e, rt, env
}

// appleList lists the emulated host, failing the test on error.
func appleList(t *testing.T, rt *apple.Runtime) []runtime.Instance {
	t.Helper()
	l, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestServe_ApplePollRelaunches: with cron at @every 1h, an instance that
// dies is relaunched within 2 × poll_max, by a pass the poll watcher asked
// for (Apple's CLI has no event stream).
func TestServe_ApplePollRelaunches(t *testing.T) {
	t.Parallel()
	const pollMax = 2 * time.Second
	e, rt, env := appleEnv(t, "1.2.2", "@every 1h", `poll = "1s"
poll_max = "2s"`)
	calls := appletest.LogCalls(t, rt)
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.Serve(append(env, calls.Env())...)
	clitest.Poll(t, func() error {
		if n := len(appleList(t, rt)); n != 3 {
			return fmt.Errorf("%d of 3 listed", n)
		}
		return nil
	})
	db := e.OpenDB()
	ctx := context.Background()
	for round := range 2 {
		uid := fmt.Sprintf("s%03d", round+1) // a second death of s001 would wait out its back-off
		if round > 0 {
			// Three quiet looks: the poll has backed off to poll_max.
			mark := len(calls.Lines(t))
			clitest.Poll(t, func() error {
				if n := strings.Count(strings.Join(calls.Lines(t)[mark:], "\n"), "list none 0"); n < 3 {
					return fmt.Errorf("%d lists since the relaunch", n)
				}
				return nil
			})
		}
		died := time.Now()
		appletest.Exit(t, rt, filepath.Join(e.Dir, "emu"), "1.2.2", uid, 1)
		var ev *store.Event
		clitest.PollFor(t, 2*pollMax, func() error {
			evs, err := db.FindEvents(ctx, store.EventFilter{UID: uid, Kind: store.EventRelaunched})
			if err != nil || len(evs) == 0 {
				return fmt.Errorf("%s not relaunched yet (%v)", uid, err)
			}
			ev = evs[0] // newest first
			return nil
		})
		p, err := db.FindPassByID(ctx, *ev.PassID)
		if err != nil || p.Trigger != store.TriggerEvent {
			t.Fatalf("relaunch by pass %+v (%v), want one triggered by the watcher", p, err)
		}
		t.Logf("%s relaunched %s after its exit (poll 1s, poll_max %s)",
			uid, ev.At.Time().Sub(died).Round(time.Millisecond), pollMax)
	}
}

// TestChaos_AppleEmulator is the chaos test (chaos_test.go) with the Apple
// CLI emulator as the runtime: 12 specs, a few rounds.
// TestSoak_ChaosAppleEmulator runs 100 specs through 50 rounds.
func TestChaos_AppleEmulator(t *testing.T) {
	t.Parallel()
	chaosApple(t, 12, chaosShortRounds)
}

// TestSoak_ChaosAppleEmulator is TestChaos_AppleEmulator with 100 specs and 50 rounds.
func TestSoak_ChaosAppleEmulator(t *testing.T) {
	t.Parallel()
	chaosApple(t, 100, chaosRounds)
}

func chaosApple(t *testing.T, specs, rounds int) {
	e, rt, env := appleEnv(t, "1.2.2", "@every 1s", "")
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.Config, append(cfg, chaosTuning...), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign, err := rt.Run(context.Background(), runtime.RunSpec{UID: "zz-foreign",
		Container:  spec.Container{Image: "alpine", Command: []string{"sleep", "100000"}},
		StoreID:    "another-store",
		Generation: 1,
		SpecHash:   "x"})
	if err != nil {
		t.Fatal(err)
	}
	kill := func(uid string) {
		cmd := exec.Command(rt.Binary, "emu-exit", rt.Prefix+uid, "137")
		cmd.Env = append(os.Environ(), env...)
		_ = cmd.Run() // gone already is fine
	}
	runChaos(t, e, chaosHost{image: "alpine", env: env, foreign: foreign,
		list: func() []runtime.Instance { return appleList(t, rt) }, kill: kill,
		specs: specs, killWait: 3 * time.Minute, settle: 5 * time.Minute}, 3, rounds)
}

// TestServe_AppleStartsService: the container service is down (a reboot:
// nothing starts it) and refuses its first two starts. serve runs `container
// system start --disable-kernel-install`, backing off between attempts;
// status and describe meanwhile say the service is down and being started; once it is
// up the specs launch.
func TestServe_AppleStartsService(t *testing.T) {
	t.Parallel()
	e, rt, env := appleEnv(t, "1.2.2", "@every 1s", "start_service = true")
	calls := appletest.LogCalls(t, rt)
	emuCmd := exec.Command(rt.Binary, "emu-service", "down", "2")
	emuCmd.Env = append(os.Environ(), env...)
	if out, err := emuCmd.CombinedOutput(); err != nil {
		t.Fatalf("emu-service: %v: %s", err, out)
	}
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	e.Serve(append(env, calls.Env())...)
	clitest.Poll(t, func() error {
		if out := e.mustRun("", "status"); !strings.Contains(out, "container service down since") ||
			!strings.Contains(out, "starting it") {
			return fmt.Errorf("status says nothing of the service:\n%s", out)
		}
		if out := e.mustRun("", "describe", "s000"); !strings.Contains(out, "container service down since") {
			return fmt.Errorf("describe says nothing of the service:\n%s", out)
		}
		return nil
	})
	clitest.Poll(t, func() error {
		running := 0
		l, err := rt.List(context.Background())
		if err != nil {
			return fmt.Errorf("%w; calls %q", err, calls.Lines(t))
		}
		for _, in := range l {
			if in.State == runtime.StateRunning {
				running++
			}
		}
		if running != 2 {
			return fmt.Errorf("%d of 2 running", running)
		}
		return nil
	})
	starts := 0
	for _, a := range calls.Argv(t) {
		if a[0] == "system" {
			if strings.Join(a, " ") != "system start --disable-kernel-install" {
				t.Fatalf("call %q, want system start --disable-kernel-install", a)
			}
			starts++
		}
	}
	if starts != 3 {
		t.Fatalf("%d starts, want 3: two refused, then the one that worked", starts)
	}
}

// TestDescribe_AppleExitCodesUnreported: Apple's CLI reports no exit code
// at any release, so describe says so, and that restart "on-failure" then
// relaunches as "always" does.
func TestDescribe_AppleExitCodesUnreported(t *testing.T) {
	t.Parallel()
	e, rt, env := appleEnv(t, "1.2.2", "@every 1s", "")
	e.mustRun(`[{"uid": "job", "image": "alpine", "command": ["sleep", "infinity"], "restart": "on-failure"}]`, "apply", "-f", "-")
	e.Serve(env...)
	clitest.Poll(t, func() error {
		if n := len(appleList(t, rt)); n != 1 {
			return fmt.Errorf("%d of 1 listed", n)
		}
		return nil
	})
	out := e.mustRun("", "describe", "job")
	if !strings.Contains(out, "exits:     exit codes are not reported by this runtime") || !strings.Contains(out, `restart "on-failure" relaunches as "always" does`) {
		t.Fatalf("describe:\n%s", out)
	}
}
