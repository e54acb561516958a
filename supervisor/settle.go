package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Result is what executing an action's runtime calls came to.
type Result struct {
	// Step names the runtime call that failed (remove, run, stop); empty on success.
	Step string
	Err  error
	// Interrupted: the call was cut short by this process shutting down,
	// which says nothing about the container.
	Interrupted bool
	// RuntimeID is the instance a successful launch started.
	RuntimeID runtime.InstanceID
	// InPlace: the exited instance was started again, not removed and run.
	InPlace bool
	// Note says why a relaunch fell back from starting in place, if it did.
	Note string
	At   time.Time
}

var launchEvents = map[ActionKind]store.EventKind{
	ActLaunch: store.EventLaunched, ActRelaunch: store.EventRelaunched, ActReplace: store.EventReplaced,
	ActRestart: store.EventReplaced,
}

// Settle is the failure policy, and the one place that decides it: the
// record and events to write once action a ran with result r. The executor
// only calls it; the planner applies the same back-off to exits it observes
// through Policy.retryAt.
func Settle(a *Action, r Result, pol Policy) store.Outcome {
	next := a.Next
	if next == nil {
		next = &store.Instance{UID: a.UID, State: store.InstanceUnknown}
	} else {
		next = carry(next, nil)
	}
	if r.Err != nil {
		return settleFailure(a, next, r, pol)
	}
	switch a.Kind {
	case ActStop:
		next.State, next.NextAttemptAt = store.InstanceStopped, store.Millis{}
		return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: store.EventStopped, Reason: a.Reason}}}
	case ActRemoveDuplicate:
		return store.Outcome{Events: duplicateEvents(a)}
	case ActRemoveOrphan:
		return store.Outcome{Delete: a.UID, Events: []store.Event{{UID: a.UID, Kind: store.EventRemovedOrphan,
			Generation: a.Observed.Generation(), Reason: a.Reason}}}
	}
	next.RuntimeID, next.State, next.ExitCode, next.LastError = string(r.RuntimeID), store.InstanceRunning, nil, ""
	next.Generation, next.SpecHash = a.Spec.Generation, a.Spec.SpecHash
	next.StartedAt, next.ExitedAt, next.NextAttemptAt = store.Millis(r.At), store.Millis{}, store.Millis{}
	next.Attempts++
	if a.Kind == ActRelaunch && !a.Resumed {
		next.RestartCount++
	}
	return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: launchEvents[a.Kind],
		Generation: a.Spec.Generation, Reason: launchReason(a, r)}}}
}

// launchReason says what launched the instance: started in place, or run
// (with why a start in place was not used, if one was tried).
func launchReason(a *Action, r Result) string {
	switch {
	case r.InPlace:
		return fmt.Sprintf("%s (instance %s started in place)", a.Reason, r.RuntimeID)
	case r.Note != "":
		return fmt.Sprintf("%s (%s: instance %s)", a.Reason, r.Note, r.RuntimeID)
	}
	return fmt.Sprintf("%s (instance %s)", a.Reason, r.RuntimeID)
}

func settleFailure(a *Action, next *store.Instance, r Result, pol Policy) store.Outcome {
	// The runtime's own words first (a CLI's final "Error: …" line), then
	// which step of which uid: status columns and event lists cut long
	// text at the end, so the cause must not wait behind the context.
	err := fmt.Errorf("%w [%s %s]", r.Err, r.Step, a.UID)
	if r.Note != "" {
		err = fmt.Errorf("%w (%s)", err, r.Note)
	}
	next.LastError = err.Error()
	gen := int64(0)
	if a.Spec != nil {
		gen = a.Spec.Generation
	}
	if Collided(r) {
		// The name is taken: the instance was there after all. The record
		// stays as it was and the next list shows the instance, which the
		// planner adopts; nothing failed. Should the list still not show
		// it, the launch is retried after the initial back-off, not in a
		// tight loop.
		next.NextAttemptAt = store.Millis(r.At.Add(pol.BackoffInitial))
		return store.Outcome{Instance: next}
	}
	if r.Step == "run" {
		// Whether the run took effect is for the next list to say.
		next.RuntimeID, next.State, next.ExitCode = "", store.InstancePending, nil
	}
	switch {
	case r.Interrupted:
		// Cut short by shutdown: no failure counted, the next start retries at once.
		next.LastError = "interrupted by shutdown: " + next.LastError
		return store.Outcome{Instance: next}
	case r.Step != "run":
		// A failed stop or remove is retried by the next pass; it says
		// nothing about the container's health.
		return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: store.EventFailed,
			Generation: gen, Reason: failReason(a, r)}}}
	}
	next.Attempts++
	next.ConsecutiveFailures++
	events := []store.Event{{UID: a.UID, Kind: store.EventFailed, Generation: gen, Reason: failReason(a, r)}}
	if a.Spec != nil && a.Spec.Restart == store.RestartOnFailure && next.ConsecutiveFailures > pol.MaxAttempts {
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		next.Generation, next.SpecHash = a.Spec.Generation, a.Spec.SpecHash
		events = append(events, store.Event{UID: a.UID, Kind: store.EventGaveUp, Generation: gen,
			Reason: fmt.Sprintf("failed %d times in a row (max_attempts %d): giving up", next.ConsecutiveFailures, pol.MaxAttempts)})
		return store.Outcome{Instance: next, Events: events}
	}
	next.NextAttemptAt = pol.retryAt(a.UID, next.ConsecutiveFailures, r.At)
	return store.Outcome{Instance: next, Events: events}
}

// failReason is a failed event's reason: the cause, then action, step and uid.
func failReason(a *Action, r Result) string {
	return fmt.Sprintf("%v [%s: %s %s]", r.Err, a.Kind, r.Step, a.UID)
}

// Collided reports whether a launch found its name taken: adoption, not failure.
func Collided(r Result) bool {
	return r.Step == "run" && errors.Is(r.Err, runtime.ErrExists)
}

// retryAt is when a uid with the given failures in a row may be launched
// again: the back-off every failure, observed exit or failed run, goes through.
func (p Policy) retryAt(uid string, failures int, now time.Time) store.Millis {
	return store.Millis(now.Add(p.Delay(uid, failures)))
}

// interrupted reports whether err comes from ctx ending, not from the runtime.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
