package apple_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestFaults_Emulator is the fault-rate test of supervisor/faults_test.go
// with the Apple CLI emulator as the runtime, its calls failing, hanging,
// printing garbage or listing nothing at 30%: 12 specs, 8 passes while
// three instances die before each. A pass whose list came back empty removes
// nothing; no uid ever has two containers; once faults stop, everything
// converges. Every fourth pass the container service goes away first: an
// apiserver restart under running VMs, a logout, or `system stop` (the
// backend starts it again); no VM it lost is left running beside a new
// copy. TestSoak_FaultsEmulator runs 40 specs, 40 passes at each of
// 10%, 30% and 50%, the three side by side.
func TestFaults_Emulator(t *testing.T) { emulatorFaults(t, 12, []float64{0.3}, 8) }

// TestSoak_FaultsEmulator is TestFaults_Emulator with 40 specs, at three
// rates. (At 100 specs and 60 passes the three took 11 minutes one after
// another: every emulated call is a process reading the host's file.)
func TestSoak_FaultsEmulator(t *testing.T) {
	emulatorFaults(t, 40, []float64{0.1, 0.3, 0.5}, 40)
}

func emulatorFaults(t *testing.T, n int, rates []float64, passes int) {
	for _, rate := range rates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel() // a host and a database of their own
			rt, state := appletest.New(t, "1.2.2")
			rt.CallTimeout = 5 * time.Second // a hang (200 ms) answers before it
			rt.StartService = true           // the service goes away now and then (below)
			calls := appletest.LogCalls(t, rt)
			db := storetest.MustOpenDB(t)
			clock := storetest.NewClock()
			db.Now = clock.Now
			rt.Now = clock.Now // the service start's back-off follows the passes' clock
			s := supervisor.New(db, rt)
			s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			s.Concurrency = 1 // one order of calls, so one sequence of faults
			ctx := context.Background()
			specs := make([]store.Spec, n)
			for i := range specs {
				specs[i] = store.Spec{UID: fmt.Sprintf("s%03d", i), Container: spec.Container{Image: "alpine", Command: []string{"sleep", "infinity"}}}
			}
			storetest.MustApply(t, db, specs...)
			if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup}); err != nil {
				t.Fatal(err)
			}
			emuVerb(t, rt.Env, "emu-faults", fmt.Sprintf("rate=%v,hang=200ms,seed=7", rate))
			calls.Reset(t)
			rng := rand.New(rand.NewPCG(1, 2))
			var st faultStats
			for p := range passes {
				for range 3 { // crashes keep happening; a gone container is fine
					exitQuietly(rt, specs[rng.IntN(n)].UID)
				}
				if p%4 == 3 { // and the container service goes away
					serviceEvent(rt, rng.IntN(3))
				}
				mark := len(calls.Lines(t))
				res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
				if err != nil {
					st.failedPasses++
				}
				if res != nil && res.Plan.BrakeHeld {
					st.held++
				}
				st.pass(t, calls.Lines(t)[mark:])
				clock.Add(30 * time.Second)
			}
			st.count(calls.Lines(t))
			emuVerb(t, rt.Env, "emu-faults", "off")
			converged := 0
			for i := range 20 {
				clock.Add(s.Policy.BackoffMax)
				if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
					t.Fatalf("pass %d after faults stopped: %v", i, err)
				}
				if running(t, rt) == n {
					converged = i + 1
					break
				}
			}
			if converged == 0 {
				t.Fatalf("%d of %d running 20 passes after faults stopped", running(t, rt), n)
			}
			if g := ghosts(t, state); g != 0 {
				t.Fatalf("%d containers run a second copy beside a VM the apiserver lost", g)
			}
			t.Logf("rate %.1f: %d passes, %d runtime calls, %d failed, %d empty lists, %d runs refused by name, %d passes failed, brake held %d; converged %d passes after faults stopped",
				rate, passes, st.calls, st.failed, st.empty, st.refused, st.failedPasses, st.held, converged)
		})
	}
}

// faultStats counts, from the emulator's call log, what the faults did.
type faultStats struct {
	calls, failed, empty, refused, failedPasses, held int
}

// pass checks one pass's calls: if its first list came back empty, none of
// its deletes may have taken effect.
func (st *faultStats) pass(t *testing.T, lines []string) {
	t.Helper()
	void := false
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case f[0] == "list" && !void:
			void = f[1] == "empty"
			if f[1] != "empty" {
				return // the pass's own list came back
			}
		case void && f[0] == "delete" && (f[2] == "0" || f[1] == "hang"):
			t.Errorf("a pass whose list came back empty removed a container: %q", lines)
			return
		}
	}
}

// count sums the calls: failed ones (non-zero exit, garbage, an empty
// list), and runs refused by name (exit 1 without a fault).
func (st *faultStats) count(lines []string) {
	for _, l := range lines {
		f := strings.Fields(l)
		st.calls++
		if f[2] != "0" || f[1] == "garbage" || f[1] == "empty" {
			st.failed++
		}
		if f[1] == "empty" {
			st.empty++
		}
		if f[0] == "run" && f[1] == "none" && f[2] == "1" {
			st.refused++
		}
	}
}

// serviceEvent makes the container service go away: k 0 an apiserver
// restart, 1 a logout, 2 `container system stop` (which may fault itself).
func serviceEvent(rt *apple.Runtime, k int) {
	args := [][]string{{"emu-service", "restart"}, {"emu-service", "logout"}, {"system", "stop"}}[k]
	cmd := exec.Command(rt.Binary, args...)
	cmd.Env = append(cmd.Environ(), rt.Env...)
	_ = cmd.Run()
}

// exitQuietly makes uid's container exit, if it is there.
func exitQuietly(rt *apple.Runtime, uid string) {
	_, _, _, _ = emuRun(rt.Env, rt.Binary, "emu-exit", rt.Prefix+uid, "137")
}

// running counts our running instances (faults off) and fails on a uid
// with two containers.
func running(t *testing.T, rt *apple.Runtime) int {
	t.Helper()
	list, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen, n := map[string]bool{}, 0
	for _, in := range list {
		if seen[in.UID] {
			t.Errorf("uid %s has two containers", in.UID)
		}
		seen[in.UID] = true
		if in.State == runtime.StateRunning {
			n++
		}
	}
	return n
}
