package supervisor

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// Order: a spec with depends_on is launched, or relaunched after an exit,
// only once each dependency's instance runs (and, for "healthy", its probe
// has passed); until then the plan holds an ActWait saying what it waits
// for. After a reboot every instance has exited: the dependencies relaunch
// in the first pass, their dependants in a later one, once the
// dependencies run (or pass their probe). A dependency's restart leaves its
// running dependants alone, unless the dependant asks for restart on that
// dependency (restartForDependency).

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
			waits = append(waits, fmt.Sprintf("%s (%s)", dep, sp.DependsOn[dep].Condition))
		case sp.DependsOn[dep].Condition == spec.DependHealthy && p.in.Healthy[dep] != id:
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

// restartForDependency restarts (ActRestart: a fresh container, no failure
// counted) a running dependant whose dependency with restart = true has
// started since it did, once every dependency is up again as its condition
// asks; it reports whether it planned that. The rule reads only the
// records' start times, so a veloslet killed at any point neither loses
// the restart nor repeats it: the restart's record starts after the
// dependency's. A start time not on record (zero) decides nothing.
func (p *planner) restartForDependency(sp *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	if rec == nil || rec.RuntimeID != string(obs.ID) || rec.StartedAt.Time().IsZero() || obs.State != runtime.StateRunning {
		return false
	}
	var newer []string
	for _, dep := range slices.Sorted(maps.Keys(sp.DependsOn)) {
		if !sp.DependsOn[dep].Restart {
			continue
		}
		if d := p.recordOf(dep); d != nil && d.StartedAt.Time().After(rec.StartedAt.Time()) {
			newer = append(newer, fmt.Sprintf("%s (at %s)", dep, d.StartedAt.Time().UTC().Format(time.RFC3339)))
		}
	}
	if len(newer) == 0 || p.waitingFor(sp) != "" {
		return false
	}
	p.add(Action{Kind: ActRestart, UID: sp.UID, Spec: sp, Observed: obs, Next: carry(rec, sp),
		Reason: "restart: its dependency started again since it did (restart = true): " + strings.Join(newer, ", ")})
	return true
}

// recordOf returns uid's record, nil if it has none.
func (p *planner) recordOf(uid string) *store.Instance {
	if p.records == nil {
		p.records = make(map[string]*store.Instance, len(p.in.Records))
		for _, r := range p.in.Records {
			p.records[r.UID] = r
		}
	}
	return p.records[uid]
}
