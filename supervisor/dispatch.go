package supervisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veloslet/veloslet/internal/redact"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// dispatch executes a plan: actions that only write records are written at
// once, in order; an action that calls the runtime first records what was
// observed (an exit is on file before its instance is removed), then goes to
// its uid's worker. It stops at once when ctx ends: what it did not start is
// marked ErrNotStarted and not recorded. done is closed when every action
// has finished.
func (s *Supervisor) dispatch(ctx context.Context, passID int64, actions []Action, errs []error) (done <-chan struct{}) {
	var wg sync.WaitGroup
	for i := range actions {
		a := &actions[i]
		if ctx.Err() != nil {
			errs[i] = ErrNotStarted
			continue
		}
		if !a.callsRuntime() {
			errs[i] = s.record(context.WithoutCancel(ctx), passID, a, Settle(a, Result{}, s.Policy))
			s.logAction(passID, a, errs[i])
			continue
		}
		if pre := announcement(a); len(pre.Events) > 0 {
			if err := s.record(context.WithoutCancel(ctx), passID, a, pre); err != nil {
				errs[i] = err
				s.logAction(passID, a, err)
				continue
			}
			a.Events = nil
		}
		s.workers.claim(a.UID)
		wg.Add(1)
		s.workers.submit(job{ctx: ctx,
			run: func() { defer wg.Done(); errs[i] = s.work(ctx, passID, a) },
			skip: func() {
				defer wg.Done()
				errs[i] = ErrNotStarted
				s.finishWork(a.UID, time.Time{}, false)
			}})
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// work is one uid's worker running one action: it runs the calls, records
// the outcome, and then asks for a pass if the outcome or a skipped plan
// calls for one.
func (s *Supervisor) work(ctx context.Context, passID int64, a *Action) error {
	var wake time.Time // a retry the outcome schedules
	keepLog := s.crashLogFor(ctx, passID, a)
	var pulled atomic.Bool
	r := s.call(runtime.WithPullStarted(ctx, func(image string) {
		pulled.Store(true)
		s.notePull(ctx, passID, a.UID, image)
	}), a, keepLog)
	keepLog(r.InPlace)
	defer func() { s.finishWork(a.UID, wake, r.Err == nil) }()
	if pulled.Load() {
		defer s.endPull(a.UID) // after the outcome: status never shows neither
	}
	out := Settle(a, r, s.Policy)
	wake = settleWake(a, r, out)
	err := s.record(context.WithoutCancel(ctx), passID, a, out)
	switch {
	case r.Interrupted:
		err = errors.Join(fmt.Errorf("%s %s: %w (%v)", r.Step, a.UID, ErrInterrupted, r.Err), err)
	case r.Err != nil && !Collided(r):
		err = errors.Join(fmt.Errorf("%s %s: %w", r.Step, a.UID, r.Err), err)
	}
	s.logAction(passID, a, err)
	return err
}

// finishWork frees uid for later plans and asks for the passes it is owed: a
// retry at the time the record says, and, if a plan skipped the uid while its
// action ran and the action succeeded, a pass now. A failed action owes no
// pass now: two uids whose calls keep failing would otherwise call for each
// other's passes without end; their retries follow the records and cron.
func (s *Supervisor) finishWork(uid string, wake time.Time, ok bool) {
	if s.workers.release(uid, ok) && ok {
		s.wake(s.now())
	}
	if !wake.IsZero() {
		s.wake(wake)
	}
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

func (s *Supervisor) logAction(passID int64, a *Action, err error) {
	switch {
	case err != nil:
		s.logger().Warn("action failed", LogKeyPass, passID, LogKeyUID, a.UID, LogKeyAction, a.Kind, LogKeyError, redact.Error(err, envOf(a)))
	case !a.row().quiet || len(a.Events) > 0:
		s.logger().Info("action done", LogKeyPass, passID, LogKeyUID, a.UID, LogKeyAction, a.Kind, LogKeyReason, a.Reason)
	}
}

// announcement is what is recorded before a's runtime calls begin: the
// planner's events with the record they go with (an exit is on file before
// its instance is removed), and, for a kind that announces itself, a
// replacing event naming the instance that goes. The replacing event comes
// alone, without a record: the record changes only with the outcome.
func announcement(a *Action) store.Outcome {
	var out store.Outcome
	if len(a.Events) > 0 {
		out = store.Outcome{Instance: a.Next, Events: a.Events}
	}
	if a.row().announces {
		ev := store.Event{UID: a.UID, Kind: store.EventReplacing, Reason: a.Reason}
		if a.Spec != nil {
			ev.Generation = a.Spec.Generation
		}
		if a.Observed != nil {
			ev.Reason = fmt.Sprintf("instance %s: %s", a.Observed.ID, a.Reason)
		}
		out.Events = append(slices.Clone(out.Events), ev)
	}
	return out
}
