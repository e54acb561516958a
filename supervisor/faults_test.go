package supervisor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// faultLog counts what the runtime did to the supervisor during one pass.
type faultLog struct {
	mu          sync.Mutex
	runs        int // runs that took effect
	failed      int // calls that returned an error
	emptyLists  int
	calls       int
	dupRuns     int  // runs asked for a uid whose container already existed: refused by name
	removes     int  // removals that took effect
	passHadVoid bool // this pass's list came back empty
}

// TestFaults converges 100 specs, then runs passes against a runtime that
// faults at 30% of calls while instances keep crashing. At every pass a list
// that came back empty removes nothing (its launches collide with the
// instances still there, which the runtime refuses: never a second
// instance); once faults stop, everything converges. It runs 15 passes;
// TestSoak_Faults runs 60 at each of 10%, 30% and 50%.
func TestFaults(t *testing.T) { runFaults(t, []float64{0.3}, 15) }

// TestSoak_Faults is TestFaults at three rates with 60 passes each.
func TestSoak_Faults(t *testing.T) { runFaults(t, []float64{0.1, 0.3, 0.5}, 60) }

func runFaults(t *testing.T, rates []float64, passes int) {
	for _, rate := range rates {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			s, rt, clock := MustNewSupervisor(t)
			s.Concurrency = 1 // one order of calls, so one sequence of faults
			ctx := context.Background()
			uids := specs(100)
			if _, err := s.DB.UpsertSpecs(ctx, uids); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup}); err != nil {
				t.Fatal(err)
			}
			log := &faultLog{} // from here on: the start-up pass rightly listed nothing
			wrapFaults(rt, log)
			if err := rt.SetFaults(fake.Faults{Rate: rate, Seed: 7, Hang: 5 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			failedPasses, held := 0, 0
			for range passes {
				for range 3 { // crashes keep happening; a gone container is fine
					_ = rt.Real().SetExited(uids[rng.IntN(len(uids))].UID, 1)
				}
				log.reset()
				res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
				if err != nil {
					failedPasses++
				}
				log.mu.Lock()
				if log.passHadVoid && log.removes > 0 {
					t.Errorf("a pass that listed nothing removed %d instances", log.removes)
				}
				if res != nil && res.Plan.BrakeHeld {
					held++
				}
				log.mu.Unlock()
				clock.Add(30 * time.Second)
			}
			if err := rt.SetFaults(fake.Faults{}); err != nil {
				t.Fatal(err)
			}
			converged := 0
			for i := range 20 {
				clock.Add(s.Policy.BackoffMax)
				if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
					t.Fatalf("pass %d after faults stopped: %v", i, err)
				}
				if running(t, rt) == len(uids) {
					converged = i + 1
					break
				}
			}
			if dups := duplicates(rt); len(dups) > 0 {
				t.Errorf("uids with more than one container: %v", dups)
			}
			if converged == 0 {
				t.Fatalf("%d of %d running 20 passes after faults stopped", running(t, rt), len(uids))
			}
			t.Logf("rate %.1f: %d passes, %d runtime calls, %d failed, %d empty lists, %d runs refused by name, %d passes failed, brake held %d; converged %d passes after faults stopped",
				rate, passes, log.calls, log.failed, log.emptyLists, log.dupRuns, failedPasses, held, converged)
		})
	}
}

func (l *faultLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs, l.removes, l.passHadVoid = 0, 0, false
}

func (l *faultLog) note(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if err != nil {
		l.failed++
	}
}

// wrapFaults counts calls, failures, runs and empty lists. A hung run that
// took effect counts as a run: the instance exists whatever the answer.
func wrapFaults(rt *fake.Runtime, l *faultLog) {
	real := rt.Real()
	rt.RunFunc = func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
		before := countOf(real, spec.UID)
		if before > 0 {
			l.mu.Lock()
			l.dupRuns++
			l.mu.Unlock()
		}
		id, err := real.Run(ctx, spec)
		l.note(err)
		if countOf(real, spec.UID) > before {
			l.mu.Lock()
			l.runs++
			l.mu.Unlock()
		}
		return id, err
	}
	rt.RemoveFunc = func(ctx context.Context, uid string) error {
		before := countOf(real, uid)
		err := real.Remove(ctx, uid)
		l.note(err)
		if countOf(real, uid) < before {
			l.mu.Lock()
			l.removes++
			l.mu.Unlock()
		}
		return err
	}
	rt.StopFunc = func(ctx context.Context, uid string) error { err := real.Stop(ctx, uid); l.note(err); return err }
	rt.ListFunc = func(ctx context.Context) ([]runtime.Instance, error) {
		list, err := real.List(ctx)
		l.note(err)
		if err == nil && len(list) == 0 {
			l.mu.Lock()
			l.emptyLists++
			l.passHadVoid = true
			l.mu.Unlock()
		}
		return list, err
	}
}

// countOf is how many containers (0 or 1: names are unique) the host holds
// for uid, in any state, read without faults.
func countOf(rt *fake.Runtime, uid string) int {
	cs, _ := rt.Containers()
	n := 0
	for _, c := range cs {
		if c.Name == runtime.Name(runtime.DefaultNamePrefix, uid) {
			n++
		}
	}
	return n
}

func running(t *testing.T, rt *fake.Runtime) int {
	cs, err := rt.Containers()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cs {
		if c.State == runtime.StateRunning {
			n++
		}
	}
	return n
}

// duplicates lists the uids holding more than one container under any name.
func duplicates(rt *fake.Runtime) []string {
	cs, _ := rt.Containers()
	seen := map[string]int{}
	var out []string
	for _, c := range cs {
		uid := c.Labels[runtime.LabelUID]
		if seen[uid]++; seen[uid] == 2 {
			out = append(out, uid)
		}
	}
	return out
}

// uidOf returns the uid of the container with runtime id, "" if none has it.
func uidOf(rt *fake.Runtime, id runtime.InstanceID) string {
	cs, _ := rt.Containers()
	for _, c := range cs {
		if c.ID == string(id) {
			uid, _ := runtime.UIDFromName(runtime.DefaultNamePrefix, c.Name)
			return uid
		}
	}
	return ""
}
