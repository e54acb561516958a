package supervisor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestCompute_BrakeNeverExpiresForFleetRemovals (issue 30): orphans whose
// spec the fleet deleted stay held past brake_hold, with a reason naming
// the operator's verbs; the other removals of the same pass go once the
// hold is over; --force lets everything go.
func TestCompute_BrakeNeverExpiresForFleetRemovals(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	var observed []runtime.Instance
	var records []*store.Instance
	fleetRemoved := map[string]int64{}
	for i := range 6 {
		uid := string(rune('a' + i))
		observed = append(observed, obs(uid, runtime.StateRunning))
		records = append(records, rec(uid, store.InstanceRunning))
		if i < 4 {
			fleetRemoved[uid] = int64(10 + i) // a, b, c, d: the fleet deleted their specs
		}
	}
	in := func(since time.Time, force bool) supervisor.PlanInput {
		return supervisor.PlanInput{Observed: observed, Records: records, StoreID: ours, Now: t0, Policy: pol,
			BrakeSince: since, Force: force, FleetRemoved: fleetRemoved}
	}
	removed := func(p supervisor.Plan) (uids string) {
		for _, a := range p.Actions {
			if a.Kind == supervisor.ActRemoveOrphan {
				uids += a.UID
			}
		}
		return uids
	}

	first := supervisor.Compute(in(time.Time{}, false))
	if !first.BrakeHeld || removed(first) != "" || !strings.Contains(first.FleetHeld, "the fleet deleted the specs of 4") {
		t.Fatalf("first pass: held=%v removed=%q fleet=%q; %s", first.BrakeHeld, removed(first), first.FleetHeld, describe(first.Actions))
	}

	for _, after := range []time.Duration{2 * time.Minute, 24 * time.Hour} { // past brake_hold: only e and f go
		p := supervisor.Compute(in(t0.Add(-after), false))
		if !p.BrakeHeld || removed(p) != "ef" {
			t.Fatalf("%s into the hold: held=%v removed=%q; %s", after, p.BrakeHeld, removed(p), describe(p.Actions))
		}
		last := p.Actions[len(p.Actions)-1]
		if last.Kind != supervisor.ActBrake || len(last.Events) != 1 || last.Events[0].Kind != store.EventBrakeHeld ||
			!strings.Contains(last.Reason, "would remove 4 of 6 instances seen whose specs the fleet deleted") ||
			!strings.Contains(last.Reason, "veloslet reconcile --force") || !strings.Contains(last.Reason, "fleet resync") ||
			p.FleetHeld != last.Reason {
			t.Fatalf("%s into the hold: brake action %s %q, FleetHeld %q", after, last.Kind, last.Reason, p.FleetHeld)
		}
	}

	if p := supervisor.Compute(in(t0.Add(-time.Hour), true)); p.BrakeHeld || removed(p) != "abcdef" || p.FleetHeld != "" {
		t.Fatalf("forced: held=%v removed=%q fleet=%q", p.BrakeHeld, removed(p), p.FleetHeld)
	}
	// Confirmed (fleet resync --confirm clears FleetRemoved): the hold is
	// an ordinary one again, over after brake_hold.
	fleetRemoved = nil
	if p := supervisor.Compute(in(t0.Add(-2*time.Minute), false)); p.BrakeHeld || removed(p) != "abcdef" {
		t.Fatalf("confirmed: held=%v removed=%q", p.BrakeHeld, removed(p))
	}
}
