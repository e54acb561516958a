package supervisor

import (
	"errors"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/internal/redact"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Settle is the failure policy, and the one place that decides it: the
// record and events to write once action a ran with result r. The executor
// only calls it; the planner's exit handling (settleExit), the reset of a
// running instance's count (settleRun), the fresh start of a new generation
// (freshGeneration) and the worker's retry time (retryWake) are beside it in
// this file. A record-only action settles as the planner wrote it.
func Settle(a *Action, r Result, pol Policy) store.Outcome {
	pol = pol.forSpec(a.Spec)
	row := a.row()
	if row.call == nil {
		return row.settle(a, r, a.Next, pol)
	}
	next := a.Next
	if next == nil {
		next = &store.Instance{UID: a.UID, State: store.InstanceUnknown}
	} else {
		next = carry(next, nil)
	}
	if r.Err != nil {
		return settleFailure(a, next, r, pol)
	}
	return row.settle(a, r, next, pol)
}

// settleRunning: a launch, relaunch, replace or restart that succeeded.
func settleRunning(a *Action, r Result, next *store.Instance, _ Policy) store.Outcome {
	next.RuntimeID, next.State, next.ExitCode, next.LastError = string(r.RuntimeID), store.InstanceRunning, nil, ""
	next.Generation, next.SpecHash = a.Spec.Generation, a.Spec.SpecHash
	next.StartedAt, next.ExitedAt, next.NextAttemptAt = store.Millis(r.At), store.Millis{}, store.Millis{}
	next.Attempts++
	if a.row().countsRestart && !a.Resumed {
		next.RestartCount++
	}
	return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: a.row().event,
		Generation: a.Spec.Generation, Reason: launchReason(a, r)}}}
}

// settleStopped: a stop that succeeded.
func settleStopped(a *Action, _ Result, next *store.Instance, _ Policy) store.Outcome {
	next.State, next.NextAttemptAt = store.InstanceStopped, store.Millis{}
	return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: a.row().event, Reason: a.Reason}}}
}

// settleRemoved: an orphan removed; its record goes with it.
func settleRemoved(a *Action, _ Result, _ *store.Instance, _ Policy) store.Outcome {
	return store.Outcome{Delete: a.UID, Events: []store.Event{{UID: a.UID, Kind: a.row().event,
		Generation: a.Observed.Generation(), Reason: a.Reason}}}
}

// settleDuplicates: duplicates removed; the uid's record is the kept one's.
func settleDuplicates(a *Action, _ Result, _ *store.Instance, _ Policy) store.Outcome {
	return store.Outcome{Events: duplicateEvents(a)}
}

// settleRecord: a record-only action writes what the planner decided.
func settleRecord(a *Action, _ Result, _ *store.Instance, _ Policy) store.Outcome {
	return store.Outcome{Instance: a.Next, Events: a.Events, Adopt: a.Adopt}
}

// settleForget: the record of a deleted spec's vanished instance goes.
func settleForget(a *Action, r Result, next *store.Instance, _ Policy) store.Outcome {
	out := settleRecord(a, r, next, Policy{})
	out.Delete = a.UID
	return out
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
	next.LastError = redact.Error(err, envOf(a))
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
	if r.Step == StepRun {
		// Whether the run took effect is for the next list to say.
		next.RuntimeID, next.State, next.ExitCode = "", store.InstancePending, nil
	}
	switch {
	case r.Interrupted:
		// Cut short by shutdown: no failure counted, the next start retries at once.
		next.LastError = "interrupted by shutdown: " + next.LastError
		return store.Outcome{Instance: next}
	case r.Step != StepRun:
		// A failed stop or remove is retried by the next pass; it says
		// nothing about the container's health.
		return store.Outcome{Instance: next, Events: []store.Event{{UID: a.UID, Kind: store.EventFailed,
			Generation: gen, Reason: failReason(a, r)}}}
	}
	next.Attempts++
	next.ConsecutiveFailures++
	events := []store.Event{{UID: a.UID, Kind: store.EventFailed, Generation: gen, Reason: failReason(a, r)}}
	if a.Spec != nil && givesUp(a.Spec.Restart, next.ConsecutiveFailures, pol) {
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		next.Generation, next.SpecHash = a.Spec.Generation, a.Spec.SpecHash
		events = append(events, store.Event{UID: a.UID, Kind: store.EventGaveUp, Generation: gen,
			Reason: giveUpReason(next.ConsecutiveFailures, pol)})
		return store.Outcome{Instance: next, Events: events}
	}
	next.NextAttemptAt = pol.retryAt(a.UID, next.ConsecutiveFailures, r.At)
	return store.Outcome{Instance: next, Events: events}
}

// failReason is a failed event's reason: the cause, then action, step and uid.
func failReason(a *Action, r Result) string {
	return redact.Env(fmt.Sprintf("%v [%s: %s %s]", r.Err, a.Kind, r.Step, a.UID), envOf(a))
}

// Collided reports whether a launch found its name taken: adoption, not failure.
func Collided(r Result) bool {
	return r.Step == StepRun && errors.Is(r.Err, runtime.ErrExists)
}

// retryAt is when a uid with the given failures in a row may be launched
// again: the back-off every failure, observed exit or failed run, goes through.
func (p Policy) retryAt(uid string, failures int, now time.Time) store.Millis {
	return store.Millis(now.Add(p.Delay(uid, failures)))
}

// minRetryWake bounds how soon a worker asks for a pass again for a uid
// whose run keeps failing (or whose name is taken by an instance the list
// does not show), whatever the back-off says: with backoff_initial = 0 a
// missing image would otherwise be retried as fast as the runtime answers.
const minRetryWake = time.Second

// settleWake is when the worker asks for a pass once action a's outcome out
// is written: at once after a success whose row wakes (the uid's own plan
// waited for it); at the retry the outcome set, if it set a new one; never
// otherwise (zero).
func settleWake(a *Action, r Result, out store.Outcome) time.Time {
	var wake time.Time
	if out.Instance != nil && (a.Next == nil || !out.Instance.NextAttemptAt.Time().Equal(a.Next.NextAttemptAt.Time())) {
		wake = retryWake(r, out.Instance)
	}
	if a.row().wakes && r.Err == nil {
		wake = r.At
	}
	return wake
}

// retryWake is when the worker asks for a pass to retry: the record's next
// attempt, at once only for the first failure in a row.
func retryWake(r Result, next *store.Instance) time.Time {
	at := next.NextAttemptAt.Time()
	if at.IsZero() {
		return at
	}
	if (Collided(r) || next.ConsecutiveFailures > 1) && at.Before(r.At.Add(minRetryWake)) {
		return r.At.Add(minRetryWake)
	}
	return at
}

// givesUp reports whether on-failure gives up after failures in a row.
func givesUp(policy store.RestartPolicy, failures int, pol Policy) bool {
	return policy == store.RestartOnFailure && failures > pol.MaxAttempts
}

func giveUpReason(failures int, pol Policy) string {
	return fmt.Sprintf("failed %d times in a row (max_attempts %d): giving up", failures, pol.MaxAttempts)
}

// failed reports whether an exit counts as a failure. An exit code the
// runtime cannot report counts as one: Apple's CLI never reports any.
func failed(policy store.RestartPolicy, code *int) bool {
	return policy == store.RestartAlways || code == nil || *code != 0
}

// relaunches reports whether the restart policy relaunches an exit with
// code; an exit it does not relaunch is accepted, and stays accepted when
// its instance is removed by hand (see missing).
func relaunches(policy store.RestartPolicy, code *int) bool {
	return policy == store.RestartAlways || policy == store.RestartOnFailure && failed(policy, code)
}

// exitAccepted reports whether rec holds an exit of spec's generation that
// the restart policy accepted: it is not relaunched, and its instance's
// removal by hand does not make it run again.
func exitAccepted(spec *store.Spec, rec *store.Instance) bool {
	return rec != nil && rec.State == store.InstanceExited && rec.Generation == spec.Generation &&
		!relaunches(spec.Restart, rec.ExitCode)
}

// exitVerdict is what the failure policy makes of an observed exit.
type exitVerdict int

const (
	verdictAccept   exitVerdict = iota // the restart policy leaves it
	verdictGiveUp                      // on-failure ran out of attempts
	verdictBackoff                     // relaunch at next.NextAttemptAt
	verdictRelaunch                    // relaunch now
)

// settleExit is the failure policy for an exit the planner observed: the
// record to write and the verdict. known: the record already holds this
// exit (its counters are not moved again). An instance that ran for
// BackoffReset starts a fresh count; a failure counts one more and sets
// the back-off; an accepted exit has no retry time.
func settleExit(spec *store.Spec, rec *store.Instance, obs *runtime.Instance, known bool, now time.Time, pol Policy) (*store.Instance, exitVerdict) {
	pol = pol.forSpec(spec)
	next := carry(rec, spec)
	started := exitStart(obs, rec)
	rebooted := pol.Rebooted(started)
	if !known {
		next.RuntimeID, next.State, next.ExitCode = string(obs.ID), store.InstanceExited, obs.ExitCode
		next.ExitedAt = store.Millis(now)
		if !started.IsZero() && now.Sub(started) >= pol.BackoffReset {
			next.ConsecutiveFailures = 0
		}
		switch {
		case obs.ServiceRestarted || rebooted:
			// Stopped by the runtime's own service or by a reboot of the
			// host, which stops everything: no failure counted and no
			// back-off to wait out, so a host that reboots twice does not
			// wait out back-offs earlier crashes earned.
			next.NextAttemptAt = store.Millis{}
		case failed(spec.Restart, obs.ExitCode):
			next.ConsecutiveFailures++
			fallthrough
		default:
			next.NextAttemptAt = pol.retryAt(spec.UID, next.ConsecutiveFailures, now)
		}
	}
	switch {
	case !relaunches(spec.Restart, next.ExitCode) && !(rebooted && spec.Restart != store.RestartNever):
		// (A reboot's exit is relaunched whatever its code, but under
		// never: it ended no work of its own; runtimes report 0 for some.)
		next.NextAttemptAt = store.Millis{} // no relaunch, so no back-off to wait out
		return next, verdictAccept
	case givesUp(spec.Restart, next.ConsecutiveFailures, pol):
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		return next, verdictGiveUp
	case next.NextAttemptAt.Time().After(now):
		return next, verdictBackoff
	}
	return next, verdictRelaunch
}

// exitStart is when an exited instance started: as listed, else as its
// record says when the record is about this very instance; zero if unknown.
func exitStart(obs *runtime.Instance, rec *store.Instance) time.Time {
	if !obs.StartedAt.IsZero() {
		return obs.StartedAt
	}
	if rec != nil && rec.RuntimeID == string(obs.ID) {
		return rec.StartedAt.Time()
	}
	return time.Time{}
}

// Rebooted reports whether an instance that started at started was
// stopped by a reboot of the host: it started before the current boot.
// Unknown times (zero) say no.
func (p Policy) Rebooted(started time.Time) bool {
	return !p.BootTime.IsZero() && !started.IsZero() && started.Before(p.BootTime)
}

// settleRun is the failure policy for an instance seen running as
// recorded: the record to write, and why, or nil. One that has run for
// BackoffReset since its start has its failure count reset; a retry time
// left by a launch that found its name taken is cleared, so status does not
// show a pending retry.
func settleRun(rec *store.Instance, spec *store.Spec, now time.Time, pol Policy) (*store.Instance, string) {
	switch {
	case rec.ConsecutiveFailures > 0 && !rec.StartedAt.Time().IsZero():
		if rec.StartedAt.Time().Add(pol.BackoffReset).After(now) {
			return nil, ""
		}
		next := carry(rec, spec)
		next.ConsecutiveFailures, next.NextAttemptAt = 0, store.Millis{}
		return next, fmt.Sprintf("ran for %s: failure count reset", pol.BackoffReset)
	case rec.ConsecutiveFailures == 0 && !rec.NextAttemptAt.Time().IsZero():
		next := carry(rec, spec)
		next.NextAttemptAt = store.Millis{}
		return next, "running: no retry pending"
	}
	return nil, ""
}

// carry copies the record's counters into a new record for uid, so that
// restart counts and back-off survive every action. A record that gave up
// on another generation than spec's starts afresh: a new generation gets a
// new set of attempts. (An operator's start clears a gave_up record in the
// store, by SQL: store.DB.SetDesiredState.)
func carry(rec *store.Instance, spec *store.Spec) *store.Instance {
	var next store.Instance
	if rec != nil {
		next = *rec
		if rec.ExitCode != nil {
			code := *rec.ExitCode
			next.ExitCode = &code
		}
	}
	if spec != nil {
		next.UID = spec.UID
		if next.State == store.InstanceGaveUp && next.Generation != spec.Generation {
			next.ConsecutiveFailures, next.NextAttemptAt = 0, store.Millis{}
		}
	}
	if next.State == "" {
		next.State = store.InstancePending
	}
	return &next
}
