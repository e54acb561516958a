package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store"
)

// TestServe_FaultyRuntime runs the daemon against a simulated runtime whose
// calls fail, hang, print garbage or list nothing at 30%, while instances
// keep dying: the daemon keeps running, no pass removes or replaces more
// than the brake allows, and once the faults stop it converges. It runs 8
// rounds of an exit and a reconcile; TestSoak_ServeFaultyRuntime runs 30.
func TestServe_FaultyRuntime(t *testing.T) {
	t.Parallel()
	serveFaulty(t, 8)
}

// TestSoak_ServeFaultyRuntime is TestServe_FaultyRuntime with 30 rounds.
func TestSoak_ServeFaultyRuntime(t *testing.T) {
	t.Parallel()
	serveFaulty(t, 30)
}

func serveFaulty(t *testing.T, rounds int) {
	e := newTestEnv(t, "schedule = \"@hourly\"\nconcurrency = 4\n")
	const n = 20
	e.mustRun(clitest.SpecsJSON(n), "apply", "-f", "-")
	d := e.Serve()
	e.WaitRunning(n)
	e.mustRun("", "fake", "faults", "--rate", "0.3", "--hang", "200ms", "--seed", "3")
	rng := rand.New(rand.NewPCG(4, 5))
	failed := 0
	for range rounds {
		_, _, _ = e.run("", "fake", "exit", fmt.Sprintf("s%03d", rng.IntN(n)), "--code", "1")
		if _, _, code := e.run("", "reconcile"); code != 0 {
			failed++ // a pass that met a fault; the daemon carries on
		}
		if ended, err := d.Ended(); ended {
			t.Fatalf("the daemon stopped under faults: %v\n%s", err, d.Stderr.String())
		}
	}
	e.mustRun("", "fake", "faults", "--rate", "0")
	// The simulation draws each call's fault from the state it loaded on
	// its previous call (runtime/fake/faults.go), so the daemon's first call
	// after the change may still fault: reconcile until a pass succeeds.
	clitest.Poll(t, func() error {
		if out, errOut, code := e.run("", "reconcile"); code != 0 {
			return fmt.Errorf("reconcile with faults off: exit %d: %s%s", code, errOut, out)
		}
		return nil
	})
	e.WaitRunning(n)

	db := e.OpenDB()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	removals, held := map[int64]int{}, 0
	for _, ev := range evs {
		switch ev.Kind {
		case store.EventReplaced, store.EventRemovedOrphan: // what the brake guards
			if ev.PassID != nil {
				removals[*ev.PassID]++
			}
		case store.EventBrakeHeld:
			held++
		}
	}
	for pass, k := range removals {
		if k > 3 {
			t.Errorf("pass %d removed %d instances at once under faults", pass, k)
		}
	}
	t.Logf("%d reconciles at a 30%% fault rate: %d failed, brake held %d times; converged to %d running after", rounds, failed, held, n)
}
