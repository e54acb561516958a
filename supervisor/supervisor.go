// Package supervisor reconciles desired specs with what the container
// runtime lists. A pass reads the store, lists the runtime, computes a plan
// with the pure Compute function, executes it with bounded concurrency and
// records every outcome. The Scheduler decides when passes run; tests call
// Reconcile directly. It never holds a database transaction across a runtime call.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Supervisor runs reconcile passes for one store and one runtime.
type Supervisor struct {
	DB      *store.DB
	Runtime runtime.Runtime
	Policy  Policy
	// Concurrency bounds the runtime calls a pass runs at once.
	Concurrency int
	Logger      *slog.Logger
	// Now returns the current time; it defaults to the store's clock so that
	// tests move one clock for both.
	Now func() time.Time
	// AdoptOnStart makes the first pass record an adopted event for every
	// recorded instance still running: what a daemon does when it starts.
	// One-off passes from the CLI leave it off.
	AdoptOnStart bool
	// Crash, if set, is called at every crash point; see CrashPoint.
	Crash CrashHook

	mu         sync.Mutex // one pass at a time, however it is called
	brakeSince time.Time
	observedOK bool        // a pass of this process has listed the runtime
	unrecorded *store.Pass // a pass that failed before it could write its row
}

// New returns a supervisor with the default policy.
func New(db *store.DB, rt runtime.Runtime) *Supervisor {
	return &Supervisor{DB: db, Runtime: rt, Policy: DefaultPolicy(), Concurrency: DefaultConcurrency, Logger: slog.Default()}
}

func (s *Supervisor) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return s.DB.Now().UTC()
}

// PassOptions tune one pass.
type PassOptions struct {
	Trigger store.Trigger
	// Force ignores the safety brake for this pass.
	Force bool
	// RequestID is the operator request this pass serves, if any.
	RequestID int64
}

// PassResult is what one pass did.
type PassResult struct {
	ID        int64
	Trigger   store.Trigger
	Plan      Plan
	Failures  int
	Observed  int
	Desired   int
	StartedAt time.Time
	Duration  time.Duration
	// Errors holds each action's error (nil when it succeeded), by plan index.
	Errors []error
	// States counts the observed instances by state; Foreign counts those
	// of another store.
	States  map[runtime.State]int
	Foreign int
}

// Reconcile runs one pass with the manual trigger.
func (s *Supervisor) Reconcile(ctx context.Context) error {
	_, err := s.Pass(ctx, PassOptions{Trigger: store.TriggerManual})
	return err
}

// Pass runs one reconcile pass and records it in the passes table. It
// returns an error when the pass could not observe or plan (nothing was
// done), or when any action failed (the rest were still done).
func (s *Supervisor) Pass(ctx context.Context, opts PassOptions) (*PassResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if opts.Trigger == "" {
		opts.Trigger = store.TriggerManual
	}
	res := &PassResult{Trigger: opts.Trigger, StartedAt: time.Now()}
	if err := s.recordUnrecorded(ctx); err != nil {
		s.log(res, opts, err)
		return nil, err
	}
	id, err := s.DB.CreatePass(ctx, opts.Trigger, opts.RequestID)
	if err != nil {
		// The database is locked or failing: remember the failure, so that its
		// reason lands in the passes table once writing works again.
		err = fmt.Errorf("record pass: %w", err)
		s.unrecorded = &store.Pass{Trigger: opts.Trigger, StartedAt: store.Millis(s.now()), Error: err.Error()}
		s.log(res, opts, err)
		return nil, err
	}
	res.ID = id
	s.at(CrashPassCreated, nil)
	err = s.pass(ctx, opts, res)
	res.Duration = time.Since(res.StartedAt)
	row := &store.Pass{ID: id, Observed: res.Observed, Desired: res.Desired,
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
		s.unrecorded = row // closed with its reason once writing works again
	}
	s.log(res, opts, err)
	return res, err
}

func (s *Supervisor) pass(ctx context.Context, opts PassOptions, res *PassResult) error {
	plan, in, err := s.plan(ctx, opts.Force)
	if err != nil {
		// A pass that could not look neither confirms nor ends what the brake
		// held for: the hold restarts, so flickering lists never add up to it.
		s.brakeSince = time.Time{}
		return err
	}
	res.Plan, res.Observed, res.Desired = plan, len(in.Observed), len(in.Specs)
	// Bad rows are isolated, not fatal: noted (an event once per row
	// version), skipped by the plan, and every other spec is supervised.
	if err := s.DB.NoteInvalid(ctx, res.ID, in.Invalid); err != nil {
		s.logger().Error("record invalid specs", LogKeyPass, res.ID, LogKeyError, err)
	}
	res.States = map[runtime.State]int{}
	for _, o := range in.Observed {
		res.States[o.State]++
	}
	res.Foreign = plan.Foreign
	if plan.BrakeHeld {
		if s.brakeSince.IsZero() {
			s.brakeSince = in.Now
		}
	} else {
		s.brakeSince = time.Time{}
	}
	res.Errors = s.execute(ctx, res.ID, plan.Actions)
	for _, err := range res.Errors {
		if err != nil {
			res.Failures++
		}
	}
	s.observedOK = true
	if res.Failures > 0 {
		return fmt.Errorf("%d of %d actions failed", res.Failures, len(plan.Actions))
	}
	return nil
}

// plan reads the store (one read transaction), lists the runtime (outside
// any transaction) and computes the plan.
func (s *Supervisor) plan(ctx context.Context, force bool) (Plan, PlanInput, error) {
	st, err := s.DB.ReadState(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("read state: %w", err)
	}
	observed, err := s.Runtime.List(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("list instances: %w", err)
	}
	in := PlanInput{
		Specs: st.Specs, Records: st.Instances, Observed: observed, StoreID: s.DB.StoreID(),
		Now: s.now(), Policy: s.Policy, BrakeSince: s.brakeSince, Force: force, FirstPass: s.AdoptOnStart && !s.observedOK,
		Invalid: st.Invalid,
	}
	return Compute(in), in, nil
}

// recordUnrecorded writes the row of an earlier pass that failed before it
// could write one; it stays pending while the database still refuses.
func (s *Supervisor) recordUnrecorded(ctx context.Context) error {
	if s.unrecorded == nil {
		return nil
	}
	if err := s.DB.RecordFailedPass(ctx, s.unrecorded); err != nil {
		return fmt.Errorf("record pass: %w", err)
	}
	s.unrecorded = nil
	return nil
}

// Plan computes what a pass would do, without doing it.
func (s *Supervisor) Plan(ctx context.Context) (Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.plan(ctx, false)
	return p, err
}

func (s *Supervisor) log(res *PassResult, opts PassOptions, err error) {
	attrs := []any{LogKeyPass, res.ID, LogKeyTrigger, opts.Trigger, "observed", res.Observed,
		"desired", res.Desired, "actions", len(res.Plan.Actions), "duration", res.Duration}
	if err != nil {
		s.logger().Error("pass failed", append(attrs, LogKeyError, err)...)
		return
	}
	s.logger().Debug("pass finished", attrs...)
}

func (s *Supervisor) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
