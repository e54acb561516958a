package supervisor

import (
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// An operator's `veloslet restart` is answered here. A running instance is
// replaced (ActRestart): an operator's action, not a crash, so it counts no
// failure and no restart, and the safety brake, which guards against a
// suspect picture of the runtime, does not hold it (see its row in
// actions.go). A finished instance whose exit the restart policy accepted
// (never; on-failure with code 0) is run again: replaced if it is still
// listed, launched if it was removed by hand (see missing).

// restartWanted reports whether an operator asked for uid's recorded
// instance to be replaced: a running one after it started, or an exited one
// whose exit the policy accepted after it exited. A start time the runtime
// does not report is taken from the record of that instance; with neither,
// the request cannot be judged and is left.
func (p *planner) restartWanted(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) (time.Time, bool) {
	at, ok := p.in.Restarts[spec.UID]
	if !ok || obs == nil || rec == nil || rec.RuntimeID != string(obs.ID) {
		return at, false // only the recorded instance of ours: never one adopted or found since
	}
	switch obs.State {
	case runtime.StateRunning:
		started := obs.StartedAt
		if rec.StartedAt.Time().After(started) {
			started = rec.StartedAt.Time()
		}
		return at, !started.IsZero() && started.Before(at)
	case runtime.StateExited:
		return at, exitAccepted(spec, rec) && rec.ExitedAt.Time().Before(at)
	}
	return at, false
}

// restartRequested plans the replacement an operator asked for, if one is
// due, and reports whether it did.
func (p *planner) restartRequested(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	at, ok := p.restartWanted(spec, rec, obs)
	if !ok {
		return false
	}
	what := "instance"
	if obs.State != runtime.StateRunning {
		what = "finished instance"
	}
	p.add(Action{Kind: ActRestart, UID: spec.UID, Spec: spec, Observed: obs, Next: carry(rec, spec),
		Reason: fmt.Sprintf("restart of %s %s requested by an operator at %s", what, obs.ID, at.UTC().Format(time.RFC3339))})
	return true
}

// completed plans for a uid whose accepted exit's instance is gone: once,
// a record saying so (no runtime id: status shows it completed); a launch
// when an operator asked for a restart after the exit; nothing otherwise.
// Routine clean-up (`podman rm`, `docker container prune`) must not run a
// finished job again.
func (p *planner) completed(spec *store.Spec, rec *store.Instance) {
	if at, ok := p.in.Restarts[spec.UID]; ok && rec.ExitedAt.Time().Before(at) {
		p.add(Action{Kind: ActLaunch, UID: spec.UID, Spec: spec, Next: carry(rec, spec),
			Reason: fmt.Sprintf("run again: restart requested by an operator at %s", at.UTC().Format(time.RFC3339))})
		return
	}
	if rec.RuntimeID == "" {
		return
	}
	next := carry(rec, spec)
	next.RuntimeID = ""
	p.add(Action{Kind: ActRecord, UID: spec.UID, Next: next,
		Reason: fmt.Sprintf("instance %s, whose exit with code %s restart policy %s accepted, was removed: completed, not launched again",
			rec.RuntimeID, codeText(rec.ExitCode), spec.Restart)})
}
