package supervisor

import (
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// ActRestart replaces a running instance because an operator asked
// (`veloslet restart`): an operator's action, not a crash, so it counts no
// failure and no restart, and the safety brake, which guards against a
// suspect picture of the runtime, does not hold it (see its row in actions.go).

// restartWanted reports whether an operator asked for uid's running
// instance to be replaced after it started. A start time the runtime does
// not report is taken from the record of that instance; with neither, the
// request cannot be judged and is left.
func (p *planner) restartWanted(uid string, rec *store.Instance, obs *runtime.Instance) (time.Time, bool) {
	at, ok := p.in.Restarts[uid]
	if !ok || obs == nil || obs.State != runtime.StateRunning || rec == nil || rec.RuntimeID != string(obs.ID) {
		return at, false // only the recorded instance of ours: never one adopted or found since
	}
	started := obs.StartedAt
	if rec != nil && rec.RuntimeID == string(obs.ID) && rec.StartedAt.Time().After(started) {
		started = rec.StartedAt.Time()
	}
	return at, !started.IsZero() && started.Before(at)
}

// restartRequested plans the replacement an operator asked for, if one is
// due, and reports whether it did.
func (p *planner) restartRequested(uid string, spec *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	at, ok := p.restartWanted(uid, rec, obs)
	if !ok {
		return false
	}
	p.add(Action{Kind: ActRestart, UID: spec.UID, Spec: spec, Observed: obs, Next: carry(rec, spec),
		Reason: fmt.Sprintf("restart of instance %s requested by an operator at %s", obs.ID, at.UTC().Format(time.RFC3339))})
	return true
}
