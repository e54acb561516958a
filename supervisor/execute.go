package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// execute runs the actions, at most Concurrency at a time, and returns each
// one's error. A plan holds at most one action per uid, so actions for one
// uid never run concurrently.
func (s *Supervisor) execute(ctx context.Context, passID int64, actions []Action) []error {
	limit := s.Concurrency
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	errs := make([]error, len(actions))
	for i := range actions {
		a := &actions[i]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.apply(ctx, passID, a); err != nil {
				errs[i] = err
				s.logger().Warn("action failed", LogKeyPass, passID, LogKeyUID, a.UID,
					LogKeyAction, a.Kind, LogKeyError, err)
				return
			}
			if a.Kind != ActRecord || len(a.Events) > 0 {
				s.logger().Info("action done", LogKeyPass, passID, LogKeyUID, a.UID,
					LogKeyAction, a.Kind, LogKeyReason, a.Reason)
			}
		}()
	}
	wg.Wait()
	return errs
}

// apply executes one action and records its outcome. Records are written
// with a context that outlives a shutdown, so that a runtime call that
// happened is not left unrecorded when the daemon is asked to stop.
func (s *Supervisor) apply(ctx context.Context, passID int64, a *Action) error {
	rctx := context.WithoutCancel(ctx)
	out := store.Outcome{Instance: a.Next, Events: a.Events}
	switch a.Kind {
	case ActRecord, ActBrake:
	case ActForget:
		out.Delete = a.UID
	case ActStop:
		s.at(CrashBeforeStop, a)
		if err := s.Runtime.Stop(ctx, a.UID); err != nil {
			return s.fail(rctx, passID, a, "stop", err)
		}
		s.at(CrashAfterStop, a)
		a.Next.State = store.InstanceStopped
		out.Events = append(out.Events, store.Event{UID: a.UID, Kind: store.EventStopped, Reason: a.Reason})
	case ActRemoveOrphan:
		if err := s.remove(ctx, a); err != nil {
			return s.fail(rctx, passID, a, "remove", err)
		}
		out.Instance, out.Delete = nil, a.UID
		out.Events = append(out.Events, store.Event{UID: a.UID, Kind: store.EventRemovedOrphan,
			Generation: a.Observed.Generation(), Reason: a.Reason})
	case ActLaunch, ActRelaunch, ActReplace:
		return s.launch(ctx, passID, a)
	default:
		return fmt.Errorf("unknown action %q", a.Kind)
	}
	return s.record(rctx, passID, a, out)
}

var launchEvents = map[ActionKind]store.EventKind{
	ActLaunch: store.EventLaunched, ActRelaunch: store.EventRelaunched, ActReplace: store.EventReplaced,
}

// launch runs the spec, removing the old instance first for a relaunch or a
// replace. A crash between the two leaves no instance; the next pass launches.
func (s *Supervisor) launch(ctx context.Context, passID int64, a *Action) error {
	rctx := context.WithoutCancel(ctx)
	if a.Kind != ActLaunch {
		if err := s.remove(ctx, a); err != nil {
			return s.fail(rctx, passID, a, "remove", err)
		}
	}
	s.at(CrashBeforeRun, a)
	id, err := s.Runtime.Run(ctx, runSpec(a.Spec, s.DB.StoreID()))
	if err != nil {
		return s.fail(rctx, passID, a, "run", err)
	}
	s.at(CrashAfterRun, a)
	next := a.Next
	next.RuntimeID, next.State, next.ExitCode, next.LastError = string(id), store.InstanceRunning, nil, ""
	next.Generation, next.SpecHash = a.Spec.Generation, a.Spec.SpecHash
	next.StartedAt, next.ExitedAt = store.Millis(s.now()), store.Millis{}
	next.Attempts++
	if a.Kind == ActRelaunch {
		next.RestartCount++
	}
	ev := store.Event{UID: a.UID, Kind: launchEvents[a.Kind], Generation: a.Spec.Generation,
		Reason: fmt.Sprintf("%s (instance %s)", a.Reason, id)}
	return s.record(rctx, passID, a, store.Outcome{Instance: next, Events: append(a.Events, ev)})
}

func (s *Supervisor) remove(ctx context.Context, a *Action) error {
	s.at(CrashBeforeRemove, a)
	if err := s.Runtime.Remove(ctx, a.UID); err != nil {
		return err
	}
	s.at(CrashAfterRemove, a)
	return nil
}

// fail records a failed runtime call: the event, the error on the record and,
// for a failed run, one more failure towards back-off.
func (s *Supervisor) fail(ctx context.Context, passID int64, a *Action, step string, cause error) error {
	err := fmt.Errorf("%s %s: %w", step, a.UID, cause)
	next := a.Next
	if next == nil {
		next = &store.Instance{UID: a.UID, State: store.InstanceUnknown}
	}
	next.LastError = err.Error()
	if step == "run" {
		next.RuntimeID, next.State, next.ExitCode = "", store.InstancePending, nil
		next.Attempts++
		// A taken name is the runtime's view disagreeing with its own list, not
		// the container failing: it does not count towards back-off.
		if !errors.Is(cause, runtime.ErrExists) {
			next.ConsecutiveFailures++
		}
		next.NextAttemptAt = store.Millis(s.now().Add(s.Policy.Delay(a.UID, next.ConsecutiveFailures)))
	}
	ev := store.Event{UID: a.UID, Kind: store.EventFailed, Reason: fmt.Sprintf("%s: %v", a.Kind, err)}
	if a.Spec != nil {
		ev.Generation = a.Spec.Generation
	}
	if rerr := s.record(ctx, passID, a, store.Outcome{Instance: next, Events: append(a.Events, ev)}); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

func (s *Supervisor) record(ctx context.Context, passID int64, a *Action, out store.Outcome) error {
	for i := range out.Events {
		out.Events[i].PassID = &passID
	}
	s.at(CrashBeforeRecord, a)
	if err := s.DB.RecordOutcome(ctx, out); err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	s.at(CrashAfterRecord, a)
	return nil
}

// runSpec turns a stored spec into what the runtime launches.
func runSpec(s *store.Spec, storeID string) runtime.RunSpec {
	return runtime.RunSpec{
		UID: s.UID, Image: s.Image, Command: s.Command, Env: s.Env, CPUs: s.CPUs, Memory: s.Memory,
		Labels: s.Labels, Generation: s.Generation, SpecHash: s.SpecHash, StoreID: storeID,
	}
}
