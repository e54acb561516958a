package supervisor

import (
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// exited plans for an exited instance what the failure policy (settleExit)
// makes of its exit: nothing, a give-up, a back-off or a relaunch, with the
// events that say so. A relaunch of an instance stopped on purpose and now
// wanted again is an operator's start, outside that policy.
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
	next, verdict := settleExit(spec, rec, obs, known, now, pol)
	var events []store.Event
	if !known {
		why := "exit code " + codeText(obs.ExitCode)
		switch {
		case obs.ServiceRestarted:
			why += "; the runtime's service restarted and stopped it: relaunched by remove and run, not counted as a failure"
		case pol.Rebooted(exitStart(obs, rec)):
			why += "; the host rebooted since it started: not counted as a failure"
		}
		events = append(p.stoppedUnhealthy(spec, rec, obs), store.Event{UID: uid, Kind: store.EventExited, Generation: genOf(obs, rec),
			ExitCode: obs.ExitCode, Reason: why})
	}
	switch verdict {
	case verdictAccept:
		if !known {
			reason := fmt.Sprintf("exited with code %s; restart policy %s leaves it", codeText(obs.ExitCode), spec.Restart)
			p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
		}
	case verdictGiveUp:
		reason := giveUpReason(next.ConsecutiveFailures, pol.forSpec(spec))
		events = append(events, store.Event{UID: uid, Kind: store.EventGaveUp, Generation: spec.Generation, Reason: reason})
		p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
	case verdictBackoff:
		p.wake(next.NextAttemptAt.Time())
		if !known {
			wait := next.NextAttemptAt.Time().Sub(now).Round(time.Millisecond)
			reason := fmt.Sprintf("failure %d in a row: relaunch in %s", next.ConsecutiveFailures, wait)
			events = append(events, store.Event{UID: uid, Kind: store.EventBackoff, Generation: spec.Generation, Reason: reason})
			p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Events: events, Reason: reason})
		}
	default:
		if p.waitsAfterExit(spec, obs, next, events) {
			return
		}
		reason := fmt.Sprintf("exited with code %s; restart policy %s", codeText(next.ExitCode), spec.Restart)
		if next.ConsecutiveFailures >= pol.CrashLoopAfter {
			reason += fmt.Sprintf("; crash-loop (%d failures in a row)", next.ConsecutiveFailures)
		}
		p.add(Action{Kind: ActRelaunch, UID: uid, Spec: spec, Observed: obs, Next: next, Events: events, Reason: reason})
	}
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
