package supervisor

import (
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// exited applies the restart policy and back-off to an exited instance.
func (p *planner) exited(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) {
	uid, now, pol := spec.UID, p.in.Now, p.in.Policy
	if rec != nil && rec.RuntimeID == string(obs.ID) && rec.State == store.InstanceStopped {
		p.add(Action{Kind: ActRelaunch, UID: uid, Spec: spec, Observed: obs, Next: carry(rec, spec),
			Reason: "desired state is running again", Resumed: true})
		return
	}
	known := rec != nil && rec.RuntimeID == string(obs.ID) &&
		(rec.State == store.InstanceExited || rec.State == store.InstanceGaveUp)
	if known && rec.State == store.InstanceGaveUp {
		return
	}
	next := carry(rec, spec)
	var events []store.Event
	if !known {
		next.RuntimeID, next.State, next.ExitCode = string(obs.ID), store.InstanceExited, obs.ExitCode
		next.ExitedAt = store.Millis(now)
		started := obs.StartedAt
		if started.IsZero() && rec != nil && rec.RuntimeID == string(obs.ID) {
			started = rec.StartedAt.Time()
		}
		if !started.IsZero() && now.Sub(started) >= pol.BackoffReset {
			next.ConsecutiveFailures = 0
		}
		why := "exit code " + codeText(obs.ExitCode)
		if obs.ServiceRestarted { // stopped by the runtime's service, as by a reboot: no failure
			why += "; the runtime's service restarted and stopped it: relaunched by remove and run, not counted as a failure"
		} else if failed(spec.Restart, obs.ExitCode) {
			next.ConsecutiveFailures++
		}
		next.NextAttemptAt = pol.retryAt(uid, next.ConsecutiveFailures, now)
		events = append(events, store.Event{UID: uid, Kind: store.EventExited, Generation: genOf(obs, rec),
			ExitCode: obs.ExitCode, Reason: why})
	}
	relaunch := spec.Restart == store.RestartAlways ||
		(spec.Restart == store.RestartOnFailure && failed(spec.Restart, next.ExitCode))
	switch {
	case !relaunch:
		next.NextAttemptAt = store.Millis{} // no relaunch, so no back-off to wait out
		if !known {
			reason := fmt.Sprintf("exited with code %s; restart policy %s leaves it", codeText(obs.ExitCode), spec.Restart)
			p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
		}
	case spec.Restart == store.RestartOnFailure && next.ConsecutiveFailures > pol.MaxAttempts:
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		reason := fmt.Sprintf("failed %d times in a row (max_attempts %d): giving up", next.ConsecutiveFailures, pol.MaxAttempts)
		events = append(events, store.Event{UID: uid, Kind: store.EventGaveUp, Generation: spec.Generation, Reason: reason})
		p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
	case next.NextAttemptAt.Time().After(now):
		p.wake(next.NextAttemptAt.Time())
		if !known {
			wait := next.NextAttemptAt.Time().Sub(now).Round(time.Millisecond)
			reason := fmt.Sprintf("failure %d in a row: relaunch in %s", next.ConsecutiveFailures, wait)
			events = append(events, store.Event{UID: uid, Kind: store.EventBackoff, Generation: spec.Generation, Reason: reason})
			p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
		}
	default:
		reason := fmt.Sprintf("exited with code %s; restart policy %s", codeText(next.ExitCode), spec.Restart)
		if next.ConsecutiveFailures >= pol.CrashLoopAfter {
			reason += fmt.Sprintf("; crash-loop (%d failures in a row)", next.ConsecutiveFailures)
		}
		p.add(Action{Kind: ActRelaunch, UID: uid, Spec: spec, Observed: obs, Next: next, Events: events, Reason: reason})
	}
}

// failed reports whether an exit counts as a failure. An exit code the
// runtime cannot report counts as one: Apple's CLI never reports any.
func failed(policy store.RestartPolicy, code *int) bool {
	return policy == store.RestartAlways || code == nil || *code != 0
}

func codeText(code *int) string {
	if code == nil {
		return "unknown"
	}
	return fmt.Sprint(*code)
}

// drifted reports whether labels or records prove that the instance was
// launched from another version of the spec. An instance with neither (an
// older veloslet, or one started by hand under our name) is not judged.
func drifted(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	if h := hashOf(obs, rec); h != "" {
		return h != spec.SpecHash
	}
	if g := genOf(obs, rec); g != 0 {
		return g < spec.Generation
	}
	return false
}

// hashOf returns the spec hash the instance was launched with: its label, or
// the record's when the record is about this very instance.
func hashOf(obs *runtime.Instance, rec *store.Instance) string {
	if h := obs.SpecHash(); h != "" {
		return h
	}
	if rec != nil && rec.RuntimeID == string(obs.ID) {
		return rec.SpecHash
	}
	return ""
}

func genOf(obs *runtime.Instance, rec *store.Instance) int64 {
	if g := obs.Generation(); g != 0 {
		return g
	}
	if rec != nil && rec.RuntimeID == string(obs.ID) {
		return rec.Generation
	}
	return 0
}

// carry copies the record's counters into a new record for uid, so that
// restart counts and back-off survive every action.
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
			next.ConsecutiveFailures, next.NextAttemptAt = 0, store.Millis{} // a new generation starts afresh
		}
	}
	if next.State == "" {
		next.State = store.InstancePending
	}
	return &next
}
