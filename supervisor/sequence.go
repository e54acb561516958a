package supervisor

import (
	"context"
	"errors"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Action sequences: the runtime calls each kind makes, named by its row
// of the kinds table (actions.go). Each returns what the calls came to;
// Settle turns that into the record. Crash points mark every boundary.

// call makes an action's runtime calls, as its row says.
func (s *Supervisor) call(ctx context.Context, a *Action, keepLog func(started bool)) Result {
	return a.row().call(s, ctx, a, keepLog)
}

// interrupted reports whether err comes from ctx ending, not from the runtime.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// failed is the result of a call that failed at step.
func (s *Supervisor) failed(ctx context.Context, step Step, err error, note string) Result {
	return Result{Step: step, Err: err, Interrupted: interrupted(ctx, err), At: s.now(), Note: note}
}

// callLaunch runs the spec.
func (s *Supervisor) callLaunch(ctx context.Context, a *Action, _ func(bool)) Result {
	return s.run(ctx, a, "")
}

// callRelaunch relaunches (or replaces) an instance: a relaunch of an
// unchanged instance starts it in place where the runtime can; otherwise
// the old instance is removed before the new one runs, after keepLog (its
// output is read first). A crash between the two leaves no instance; the
// next pass launches.
func (s *Supervisor) callRelaunch(ctx context.Context, a *Action, keepLog func(bool)) Result {
	r, done, note := s.startInPlace(ctx, a) // note: why it did not start in place
	if done {
		return r
	}
	keepLog(false)
	if err := s.remove(ctx, a); err != nil {
		return s.failed(ctx, StepRemove, err, note)
	}
	return s.run(ctx, a, note)
}

// run runs a's spec under its uid's name.
func (s *Supervisor) run(ctx context.Context, a *Action, note string) Result {
	s.at(CrashBeforeRun, a)
	if err := s.ensureNetwork(ctx, a.Spec); err != nil {
		return s.failed(ctx, StepRun, err, note)
	}
	id, err := s.Runtime.Run(ctx, runSpec(a.Spec, s.DB.StoreID()))
	if err != nil {
		return s.failed(ctx, StepRun, err, note)
	}
	s.at(CrashAfterRun, a)
	return Result{RuntimeID: id, At: s.now(), Note: note}
}

// callStop stops the instance.
func (s *Supervisor) callStop(ctx context.Context, a *Action, _ func(bool)) Result {
	s.at(CrashBeforeStop, a)
	if err := s.stop(ctx, a); err != nil {
		return s.failed(ctx, StepStop, err, "")
	}
	s.at(CrashAfterStop, a)
	return Result{At: s.now()}
}

// callRemoveOrphan removes an instance whose spec is gone, then the
// volumes the runtime kept for its image's declared paths: they outlive
// replacements and relaunches, and go only with the spec.
func (s *Supervisor) callRemoveOrphan(ctx context.Context, a *Action, _ func(bool)) Result {
	if err := s.remove(ctx, a); err != nil {
		return s.failed(ctx, StepRemove, err, "")
	}
	if vr, ok := s.Runtime.(runtime.VolumeRemover); ok {
		if err := vr.RemoveVolumes(ctx, a.UID); err != nil {
			return s.failed(ctx, StepRemove, fmt.Errorf("remove volumes of %s: %w", a.UID, err), "")
		}
	}
	return Result{At: s.now()}
}

// callRemoveDuplicates removes the instances of ours beyond the kept one, by id.
func (s *Supervisor) callRemoveDuplicates(ctx context.Context, a *Action, _ func(bool)) Result {
	for _, d := range a.Duplicates {
		if err := s.Runtime.RemoveInstance(ctx, d.ID); err != nil {
			return s.failed(ctx, StepRemove, err, "")
		}
	}
	return Result{At: s.now()}
}

// stop stops a's instance. One listed under another name (Renamed) is
// removed by id: the runtime stops by name only (see plan_owned.go).
func (s *Supervisor) stop(ctx context.Context, a *Action) error {
	if a.Observed != nil && a.Observed.Renamed {
		return s.Runtime.RemoveInstance(ctx, a.Observed.ID)
	}
	return s.Runtime.Stop(ctx, a.UID)
}

// remove removes a's instance: by name, or by id when it is listed under
// another name (Renamed).
func (s *Supervisor) remove(ctx context.Context, a *Action) error {
	s.at(CrashBeforeRemove, a)
	rm := func() error { return s.Runtime.Remove(ctx, a.UID) }
	if a.Observed != nil && a.Observed.Renamed {
		rm = func() error { return s.Runtime.RemoveInstance(ctx, a.Observed.ID) }
	}
	if err := rm(); err != nil {
		return err
	}
	s.at(CrashAfterRemove, a)
	return nil
}

// runSpec turns a stored spec into what the runtime launches.
func runSpec(s *store.Spec, storeID string) runtime.RunSpec {
	return runtime.NewRunSpec(s, storeID)
}
