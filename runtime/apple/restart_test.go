package apple_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// restartHost is a supervisor over an emulated host with n specs running.
func restartHost(t *testing.T, version string, n int) (*supervisor.Supervisor, *apple.Runtime, string) {
	t.Helper()
	rt, state := appletest.New(t, version)
	db := storetest.MustOpenDB(t)
	s := supervisor.New(db, rt)
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var specs []store.Spec
	for i := range n {
		specs = append(specs, store.Spec{UID: fmt.Sprintf("s%d", i), Container: vspec.Container{Image: "alpine", Command: []string{"sleep", "infinity"}}})
	}
	storetest.MustApply(t, db, specs...)
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, rt, state
}

// ghosts counts the emulator's containers whose VM outlived the apiserver's
// restart: after a start in place of one, two copies run.
func ghosts(t *testing.T, state string) int {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(state, "*.json"))
	n := 0
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ Ghost bool }
		if json.Unmarshal(b, &c) == nil && c.Ghost {
			n++
		}
	}
	return n
}

// checkRelaunched: after the pass every instance runs, each was relaunched
// exactly once by delete and run (no start in place), no failure was
// counted, and no VM the apiserver lost runs on beside a new one.
func checkRelaunched(t *testing.T, s *supervisor.Supervisor, rt *apple.Runtime, state string, calls *appletest.Calls, n int) {
	t.Helper()
	ctx := context.Background()
	if got := calls.Count(t, "start"); got != 0 {
		t.Errorf("%d starts in place, want none: a lost VM may still run", got)
	}
	if d, r := calls.Count(t, "delete"), calls.Count(t, "run"); d != n || r != n {
		t.Errorf("%d deletes and %d runs, want %d of each", d, r, n)
	}
	if g := ghosts(t, state); g != 0 {
		t.Errorf("%d lost VMs still run: a duplicate", g)
	}
	l, err := rt.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range l {
		if in.State != runtime.StateRunning {
			t.Errorf("%s %s after the pass", in.UID, in.State)
		}
	}
	recs, err := storetest.FindInstances(ctx, s.DB)
	if err != nil || len(recs) != n {
		t.Fatalf("records %v, %v", recs, err)
	}
	for _, rec := range recs {
		if rec.ConsecutiveFailures != 0 {
			t.Errorf("%s: %d failures counted, want none", rec.UID, rec.ConsecutiveFailures)
		}
	}
	evs, err := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventRelaunched})
	if err != nil || len(evs) != n {
		t.Errorf("%d relaunched events (%v), want one per instance", len(evs), err)
	}
}

// TestScenario_ApiserverRestarted: the apiserver restarts under running
// containers (apple/container #2286): they are listed stopped with no
// startedDate, their VMs run on, `stop` does nothing to them. The next pass
// relaunches each once by delete and run, counts no failure, and leaves no
// duplicate. From 0.8, the first release that lists startedDate.
func TestScenario_ApiserverRestarted(t *testing.T) {
	for _, v := range []string{"0.9.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			const n = 3
			s, rt, state := restartHost(t, v, n)
			emuVerb(t, rt.Env, "emu-service", "restart")
			calls := appletest.LogCalls(t, rt)
			if err := s.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			checkRelaunched(t, s, rt, state, calls, n)
		})
	}
}

// TestScenario_Logout: a logout ends the apiserver and every VM; nothing
// starts the service again. With StartService the next pass starts it,
// and relaunches every instance once by delete and run, counting no
// failure. On 0.6 (no startedDate) the outage the backend met says so.
func TestScenario_Logout(t *testing.T) {
	for _, v := range []string{"0.6.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			const n = 3
			s, rt, state := restartHost(t, v, n)
			rt.StartService = true
			emuVerb(t, rt.Env, "emu-service", "logout")
			calls := appletest.LogCalls(t, rt)
			if err := s.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := calls.Count(t, "system"); got != 1 {
				t.Errorf("%d system calls, want one start", got)
			}
			checkRelaunched(t, s, rt, state, calls, n)
		})
	}
}

// TestEmulator_GhostStop: after an apiserver restart a running container
// is listed stopped with no startedDate; `stop` exits 0 and leaves its VM
// running; `delete` ends it (apple/container #2286).
func TestEmulator_GhostStop(t *testing.T) {
	rt, state := appletest.New(t, "1.2.2")
	ctx := context.Background()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "g", Container: vspec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	emuVerb(t, rt.Env, "emu-service", "restart")
	l, err := rt.List(ctx)
	if err != nil || len(l) != 1 || l[0].State != runtime.StateExited || !l[0].StartedAt.IsZero() || !l[0].ServiceRestarted {
		t.Fatalf("list %+v, %v; want it stopped, no startedDate, marked ServiceRestarted", l, err)
	}
	if _, stderr, code := emu(t, rt.Env, "stop", "velos-g"); code != 0 || ghosts(t, state) != 1 {
		t.Fatalf("stop: exit %d (%s), %d ghosts; want exit 0 and the VM still running", code, stderr, ghosts(t, state))
	}
	if err := rt.Remove(ctx, "g"); err != nil || ghosts(t, state) != 0 {
		t.Fatalf("remove: %v, %d ghosts", err, ghosts(t, state))
	}
}
