package supervisor

import (
	"context"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// An unhealthy instance is a failure exactly as an exit is: the planner
// plans ActUnhealthy for a running instance the prober found unhealthy
// (unhealthy below), its call stops it (and removes it, for recreate), and
// settleUnhealthy counts the failure, sets the back-off and gives up as
// settleExit does for an exit. The next pass then sees an exited instance
// whose exit is known and relaunches it (in place where the runtime can,
// keeping its crash log) at once or after the back-off; a removed one is
// launched afresh.

// unhealthy plans what on_failure says for a running instance the prober
// found unhealthy, and reports whether it planned anything.
func (p *planner) unhealthy(sp *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	h, ok := p.in.Unhealthy[sp.UID]
	if !ok || h.State != HealthUnhealthy || h.InstanceID != obs.ID || h.OnFailure == spec.HealthNone {
		return false
	}
	reason := fmt.Sprintf("unhealthy (%d/%d): %s", h.Failures, h.Retries, h.Last.Output)
	p.add(Action{Kind: ActUnhealthy, UID: sp.UID, Spec: sp, Observed: obs, Next: carry(rec, sp),
		Reason: reason, Recreate: h.OnFailure == spec.HealthRecreate})
	return true
}

// callUnhealthy stops the unhealthy instance, and removes it for recreate.
func (s *Supervisor) callUnhealthy(ctx context.Context, a *Action, _ func(bool)) Result {
	s.at(CrashBeforeStop, a)
	if err := s.stop(ctx, a); err != nil {
		return s.failed(ctx, StepStop, err, "")
	}
	s.at(CrashAfterStop, a)
	if a.Recreate {
		if err := s.remove(ctx, a); err != nil {
			return s.failed(ctx, StepRemove, err, "")
		}
	}
	return Result{At: s.now()}
}

// settleUnhealthy: the unhealthy instance is stopped (or removed). Its
// record is an exit that failed: one more failure in a row (after a fresh
// count if it ran for BackoffReset), the back-off of that count, or a
// give-up under on-failure, as settleExit decides for an exit.
func settleUnhealthy(a *Action, r Result, next *store.Instance, pol Policy) store.Outcome {
	next.State, next.ExitCode, next.ExitedAt = store.InstanceExited, nil, store.Millis(r.At)
	if a.Recreate {
		next.RuntimeID = ""
	}
	if started := next.StartedAt.Time(); !started.IsZero() && r.At.Sub(started) >= pol.BackoffReset {
		next.ConsecutiveFailures = 0
	}
	next.ConsecutiveFailures++
	events := []store.Event{{UID: a.UID, Kind: store.EventUnhealthy, Generation: a.Spec.Generation, Reason: a.Reason}}
	if givesUp(a.Spec.Restart, next.ConsecutiveFailures, pol) {
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		events = append(events, store.Event{UID: a.UID, Kind: store.EventGaveUp, Generation: a.Spec.Generation,
			Reason: giveUpReason(next.ConsecutiveFailures, pol)})
		return store.Outcome{Instance: next, Events: events}
	}
	next.NextAttemptAt = pol.retryAt(a.UID, next.ConsecutiveFailures, r.At)
	return store.Outcome{Instance: next, Events: events}
}
