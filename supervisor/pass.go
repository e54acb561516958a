package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/internal/redact"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Dispatched is a pass whose plan is made and whose actions are under way.
type Dispatched struct {
	res  *PassResult
	err  error
	done chan struct{}
}

// ID is the pass's id in the passes table.
func (d *Dispatched) ID() int64 { return d.res.ID }

// Wait waits for the pass's actions and the row that closes it.
func (d *Dispatched) Wait() (*PassResult, error) {
	<-d.done
	return d.res, d.err
}

// Dispatch reads, lists and plans under the pass lock, hands the runtime
// actions to their uids' workers and returns: the next pass can plan while
// this one's calls run. It returns an error only when the pass could not
// be recorded at all.
func (s *Supervisor) Dispatch(ctx context.Context, opts PassOptions) (*Dispatched, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workers.init(s.Concurrency)
	if opts.Trigger == "" {
		opts.Trigger = store.TriggerManual
	}
	res := &PassResult{Trigger: opts.Trigger, StartedAt: time.Now()}
	if s.Precheck != nil {
		if err := s.Precheck(ctx); err != nil {
			s.log(res, opts, err)
			return nil, err
		}
	}
	if err := s.recordUnrecorded(ctx); err != nil {
		s.log(res, opts, err)
		return nil, err
	}
	s.retryEndPulls(ctx)
	if !s.closedAbandoned {
		if err := s.DB.CloseAbandonedPasses(ctx); err != nil {
			err = fmt.Errorf("close passes an earlier process left open: %w", err)
			s.log(res, opts, err)
			return nil, err
		}
		if err := s.DB.ClearPulls(ctx); err != nil {
			err = fmt.Errorf("clear pulls an earlier process left: %w", err)
			s.log(res, opts, err)
			return nil, err
		}
		s.closedAbandoned = true
	}
	id, err := s.DB.CreatePass(ctx, opts.Trigger, opts.RequestID)
	if err != nil {
		// The database is locked or failing: remember the failure, so that its
		// reason lands in the passes table once writing works again.
		err = fmt.Errorf("record pass: %w", err)
		s.unrecorded = append(s.unrecorded, &store.Pass{Trigger: opts.Trigger, StartedAt: store.Millis(s.now()), Error: err.Error()})
		s.log(res, opts, err)
		return nil, err
	}
	res.ID = id
	d := &Dispatched{res: res, done: make(chan struct{})}
	s.at(CrashPassCreated, nil)
	actions, err := s.start(ctx, opts, res)
	go func() {
		if actions != nil {
			<-actions
		}
		s.sweepNetworks(ctx, res.ID)
		d.err = s.finish(ctx, opts, res, err)
		close(d.done)
	}()
	return d, nil
}

// start plans the pass and dispatches its actions; the channel it returns is
// closed when they are all done.
func (s *Supervisor) start(ctx context.Context, opts PassOptions, res *PassResult) (<-chan struct{}, error) {
	plan, in, targeted, err := s.planPass(ctx, opts, s.workers.snapshot())
	if err != nil {
		// A pass that could not look decides nothing: the brake's hold
		// neither starts nor ends, and nothing is launched or removed.
		return nil, err
	}
	res.Plan, res.Observed, res.Desired, res.Targeted = plan, len(in.Observed), len(in.Specs), targeted
	if targeted {
		// It saw some uids, not the host: the brake, the gauges and the
		// invalid specs stay as the newest full pass left them.
		res.Plan.Invalid = nil
		s.dispatchTargeted(plan, in)
		res.Errors = make([]error, len(plan.Actions))
		return s.dispatch(ctx, res.ID, plan.Actions, res.Errors), nil
	}
	s.noteNetworks(res.ID, in.Specs)
	// Bad rows are isolated, not fatal: noted (an event once per row
	// version), skipped by the plan, and every other spec is supervised.
	if err := s.DB.NoteInvalid(ctx, res.ID, in.Invalid); err != nil {
		s.logger().Error("record invalid specs", LogKeyPass, res.ID, LogKeyError, err)
	}
	res.States = map[runtime.State]int{}
	for _, o := range in.Observed {
		res.States[o.State]++
		if o.Renamed || (in.Adopted[string(o.ID)] && o.StoreID() != in.StoreID) {
			res.Unwatched++
		}
	}
	res.Foreign = plan.Foreign
	if plan.BrakeHeld {
		if s.brakeSince.IsZero() {
			s.brakeSince = in.Now
		}
		// Look again the moment the hold ends: the next cron tick may be
		// a schedule's interval later, and no event need come. A hold past
		// its end (fleet-caused removals) waits for an operator instead.
		if end := s.brakeSince.Add(s.Policy.BrakeHold); end.After(in.Now) {
			s.wake(end)
		}
	} else {
		s.brakeSince = time.Time{}
	}
	s.noteFleetBrake(ctx, &plan)
	if !s.observedOK {
		s.warnNestedStores(in) // once per process: at serve start
	}
	s.observedOK = true
	if s.workers.markSkipped(plan.InFlight) {
		s.wake(in.Now) // a skipped uid became free while the plan was made
	}
	if !plan.NextWake.IsZero() {
		s.wake(plan.NextWake)
	}
	res.Errors = make([]error, len(plan.Actions))
	return s.dispatch(ctx, res.ID, plan.Actions, res.Errors), nil
}

// finish counts what the pass's actions came to and closes its row.
func (s *Supervisor) finish(ctx context.Context, opts PassOptions, res *PassResult, err error) error {
	notStarted, cut, first := 0, 0, -1
	for i, e := range res.Errors {
		switch {
		case errors.Is(e, ErrNotStarted):
			notStarted++
		case errors.Is(e, ErrInterrupted):
			cut++
		case e != nil:
			res.Failures++
			if first < 0 {
				first = i
			}
		}
	}
	if err == nil && res.Failures > 0 {
		// The pass row is where an operator looks first: it names a cause,
		// the events hold the rest.
		// %v: the pass's error is not the action's (a caller's errors.Is
		// must not take an action's invalid row for a bad request).
		a, what := res.Plan.Actions[first], ""
		if a.UID != "" {
			what = " of " + a.UID
		}
		err = fmt.Errorf("%d of %d actions failed, first %s%s: %v",
			res.Failures, len(res.Plan.Actions), a.Kind, what, redact.Error(res.Errors[first], envOf(&a)))
	}
	if notStarted > 0 {
		err = errors.Join(err, fmt.Errorf("%d actions %w", notStarted, ErrNotStarted))
	}
	if cut > 0 {
		err = errors.Join(err, fmt.Errorf("%d actions %w", cut, ErrInterrupted))
	}
	res.Duration = time.Since(res.StartedAt)
	row := &store.Pass{ID: res.ID, Observed: res.Observed, Desired: res.Desired,
		Actions: len(res.Plan.Actions), Failures: res.Failures}
	if err != nil {
		row.Error = err.Error()
	}
	// Record the end even if ctx ended, so a stopped daemon's last pass is closed.
	s.at(CrashBeforePassFinish, nil)
	if ferr := s.DB.FinishPass(context.WithoutCancel(ctx), row); ferr != nil {
		ferr = fmt.Errorf("record pass end: %w", ferr)
		err = errors.Join(err, ferr)
		row.Error = err.Error()
		s.mu.Lock()
		s.unrecorded = append(s.unrecorded, row) // closed with its reason once writing works again
		s.mu.Unlock()
	}
	s.log(res, opts, err)
	return err
}

// wake tells the scheduler, if any, that a pass is wanted at t.
func (s *Supervisor) wake(t time.Time) {
	if s.OnWake != nil {
		s.OnWake(t)
	}
}
