package supervisor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// Order: a spec with depends_on is launched, or relaunched after an exit,
// only once each dependency's instance runs (and, for "healthy", its probe
// has passed); until then the plan holds an ActWait saying what it waits
// for. Nothing else is ordered: a dependency's restart leaves its running
// dependants alone. After a reboot every instance has exited: the
// dependencies relaunch in the first pass, their dependants in a later
// one, once the dependencies run (or pass their probe).

// runningOf returns the running instance of each uid in observed.
func runningOf(observed []runtime.Instance) map[string]runtime.InstanceID {
	out := map[string]runtime.InstanceID{}
	for _, o := range observed {
		if o.State == runtime.StateRunning {
			out[o.UID] = o.ID
		}
	}
	return out
}

// waitingFor says what sp still waits for, "" for nothing.
func (p *planner) waitingFor(sp *store.Spec) string {
	var waits []string
	for _, dep := range slices.Sorted(func(yield func(string) bool) {
		for k := range sp.DependsOn {
			if !yield(k) {
				return
			}
		}
	}) {
		id, up := p.up[dep]
		switch {
		case !up:
			waits = append(waits, fmt.Sprintf("%s (%s)", dep, sp.DependsOn[dep]))
		case sp.DependsOn[dep] == spec.DependHealthy && p.in.Healthy[dep] != id:
			waits = append(waits, dep+" (healthy)")
		}
	}
	if len(waits) == 0 {
		return ""
	}
	return "waiting for " + strings.Join(waits, ", ")
}

// waits plans an ActWait for a spec whose dependencies are not there yet,
// and reports whether it did.
func (p *planner) waits(sp *store.Spec) bool {
	why := p.waitingFor(sp)
	if why == "" {
		return false
	}
	p.add(Action{Kind: ActWait, UID: sp.UID, Reason: why})
	return true
}

// waitsAfterExit is waits for an exit that would be relaunched: the exit
// is recorded (its events too) and the relaunch waits.
func (p *planner) waitsAfterExit(sp *store.Spec, obs *runtime.Instance, next *store.Instance, events []store.Event) bool {
	why := p.waitingFor(sp)
	if why == "" {
		return false
	}
	p.add(Action{Kind: ActWait, UID: sp.UID, Observed: obs, Next: next, Events: events, Reason: why})
	return true
}
