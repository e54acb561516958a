package supervisor

import (
	"context"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
)

// startInPlace relaunches an exited instance with the runtime's start when
// it can: same id, same labels, and no remove and run (the two slowest
// calls of a relaunch); its logs are kept only where the runtime keeps them
// (Apple's start erases them, so they are read first). It can when the runtime is a
// runtime.Starter and the instance was launched from the very spec that is
// desired now (same generation and hash, by its labels). done reports that
// r is the action's result; otherwise the caller removes and runs, and note,
// if set, says why the start was not used, for the event.
func (s *Supervisor) startInPlace(ctx context.Context, a *Action) (r Result, done bool, note string) {
	if !inPlace(s.Runtime, a) {
		return Result{}, false, ""
	}
	st := s.Runtime.(runtime.Starter)
	s.at(CrashBeforeStart, a)
	err := st.Start(ctx, a.Observed.ID)
	if err == nil {
		s.at(CrashAfterStart, a)
		return Result{RuntimeID: a.Observed.ID, InPlace: true, At: s.now()}, true, ""
	}
	if interrupted(ctx, err) {
		return Result{Step: StepStart, Err: err, Interrupted: true, At: s.now()}, true, ""
	}
	// Whatever failed (the container went, the runtime refused), removing
	// and running again is the relaunch that always works.
	return Result{}, false, fmt.Sprintf("start in place of %s failed (%v), so removed and run again", a.Observed.ID, err)
}

// inPlace reports whether a is a relaunch that rt can start in place.
func inPlace(rt runtime.Runtime, a *Action) bool {
	_, ok := rt.(runtime.Starter)
	return ok && a.row().startsInPlace && unchanged(a)
}

// unchanged reports whether the exited instance was launched from the spec
// the action would run: its labels carry the same generation and hash.
func unchanged(a *Action) bool {
	o := a.Observed
	// A renamed instance (an old prefix) is not started again where it
	// stands: its relaunch is the one that moves it to its own name.
	// One the runtime's service lost may still run (ServiceRestarted): its
	// start could run a second copy, so it is removed and run.
	return o != nil && a.Spec != nil && o.ID != "" && o.State == runtime.StateExited && !o.Renamed && !o.ServiceRestarted &&
		o.SpecHash() != "" && o.SpecHash() == a.Spec.SpecHash && o.Generation() == a.Spec.Generation
}
