// Package supervisor reconciles desired specs with what the container
// runtime lists. A pass reads the store, lists the runtime and computes a
// plan with the pure Compute function under one lock, then hands each uid's
// runtime actions to that uid's worker and returns; Settle, as pure as the
// planner, turns each outcome into the record to write. What each kind of
// action does (its runtime calls, the brake, its events, how it settles) is
// one row of the table in actions.go. The Scheduler decides
// when passes run; tests call Reconcile directly. It never holds a database
// transaction across a runtime call.
package supervisor

import (
	"context"
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
	// LogCapture bounds the output kept of an exited instance before it is
	// relaunched or replaced (see crashlog.go).
	LogCapture LogCapture
	Logger     *slog.Logger
	// Now returns the current time; it defaults to the store's clock so that
	// tests move one clock for both.
	Now func() time.Time
	// AdoptOnStart makes the first pass record a resumed event for every
	// recorded instance still running: what a daemon does when it starts.
	// One-off passes from the CLI leave it off.
	AdoptOnStart bool
	// AdoptUnlabeled lets that first pass adopt, and record as adopted,
	// instances of desired uids under their own name that carry no store
	// label (made by the earlier Velos worker or by hand).
	AdoptUnlabeled bool
	// Precheck, if set, runs before every pass; its error stops the pass
	// before anything is read or written (the daemon checks that its
	// database file is still the one it opened).
	Precheck func(context.Context) error
	// OnWake, if set, is told when a record written by a worker asks for a
	// pass at a time (a retry after a failed run), or a uid a plan skipped
	// while busy is free again. The Scheduler sets it.
	OnWake func(time.Time)
	// BootTime, if set, returns when the host booted (internal/boottime);
	// each plan reads it into Policy.BootTime, so an exit of an instance
	// started before the boot is the reboot's, not a failure. Nil: not
	// known, and every exit is judged by its code alone.
	BootTime func() (time.Time, error)
	// Prober, if set, probes the specs that have a health check; each full
	// pass tells it what to probe and plans for what it found unhealthy
	// (health.go). The Scheduler runs it.
	Prober *Prober

	crash      CrashHook  // called at every crash point; tests set it
	mu         sync.Mutex // one plan at a time, however it is called
	brakeSince time.Time
	observedOK bool // a pass of this process has listed the runtime
	// unrecorded are passes whose row could not be written or closed; each
	// is written with its reason once writing works again. Passes overlap,
	// so there may be several.
	unrecorded []*store.Pass
	// closedAbandoned: the passes an earlier process left open are closed.
	closedAbandoned bool
	// stalePulls are uids whose pull row could not be deleted when their
	// launch ended; each pass tries again (see endPull).
	stalePulls pullSet
	workers    workers
	nets       networks // created for specs that ask (network.go)

	// fleetBrakeNoted is the MetaBrakeFleetHold value written; nil before
	// this process wrote or cleared it.
	fleetBrakeNoted *string
}

// New returns a supervisor with the default policy.
func New(db *store.DB, rt runtime.Runtime) *Supervisor {
	return &Supervisor{DB: db, Runtime: rt, Policy: DefaultPolicy(), Concurrency: DefaultConcurrency,
		LogCapture: DefaultLogCapture(), Logger: slog.Default()}
}

// policy is Policy with the boot time read, unless Policy carries one.
// A boot time that cannot be read leaves it unknown: exits are then judged
// as before, never all excused.
func (s *Supervisor) policy() Policy {
	p := s.Policy
	if s.BootTime != nil && p.BootTime.IsZero() {
		if t, err := s.BootTime(); err == nil {
			p.BootTime = t
		}
	}
	return p
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
	// UIDs, when set, asks for a pass over these uids alone (deaths the
	// event stream reported); the pass lists the whole host when it cannot
	// decide them alone. Nil: a full pass.
	UIDs []string
	// Deaths are the events behind UIDs, when the runtime's events show the
	// dead instance: a pass may plan from one instead of looking (deathSeen).
	Deaths []runtime.Event
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
	// of another store. Nil for a targeted pass.
	States  map[runtime.State]int
	Foreign int
	// Targeted: the pass looked at the uids it was asked about, not the host.
	Targeted bool
	// Unwatched counts the instances of ours that an event stream filtered
	// on our store label and name prefix does not report: renamed ones, and
	// adopted ones that carry another store's label or none.
	Unwatched int
}

// Reconcile runs one pass with the manual trigger and waits for its actions.
func (s *Supervisor) Reconcile(ctx context.Context) error {
	_, err := s.Pass(ctx, PassOptions{Trigger: store.TriggerManual})
	return err
}

// Pass runs one reconcile pass, waits for every action it started, and
// records it in the passes table. It returns an error when the pass could
// not observe or plan (nothing was done), or when any action failed (the
// rest were still done).
func (s *Supervisor) Pass(ctx context.Context, opts PassOptions) (*PassResult, error) {
	d, err := s.Dispatch(ctx, opts)
	if err != nil {
		return nil, err
	}
	return d.Wait()
}

// planFull reads the store (one read transaction), lists the runtime (outside
// any transaction) and computes the plan.
func (s *Supervisor) planFull(ctx context.Context, force bool, inFlight map[string]bool) (Plan, PlanInput, error) {
	st, err := s.DB.ReadState(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("read state: %w", err)
	}
	removed, err := s.DB.FleetRemovals(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("read fleet removals: %w", err)
	}
	observed, err := s.Runtime.List(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("list instances: %w", err)
	}
	in := PlanInput{FleetRemoved: removed,
		Specs: st.Specs, Records: st.Instances, Observed: observed, StoreID: s.DB.StoreID(),
		Adopted: st.Adopted, AdoptUnlabeled: s.AdoptUnlabeled,
		Now: s.now(), Policy: s.policy(), BrakeSince: s.brakeSince, Force: force, FirstPass: s.AdoptOnStart && !s.observedOK,
		InFlight: inFlight,
		Invalid:  st.Invalid, Restarts: st.Restarts, Unhealthy: s.unhealthyNow(), Healthy: s.healthyNow(ctx),
		WasUnhealthy: s.unhealthyWritten(ctx), // before syncProbes drops the rows of uids not probed
	}
	s.syncProbes(ctx, st.Specs, st.Instances, observed)
	plan := Compute(in)
	s.followLaunches(plan, st.Specs)
	return plan, in, nil
}

// recordUnrecorded writes the rows of earlier passes that could not write or
// close their own; they stay pending while the database still refuses.
func (s *Supervisor) recordUnrecorded(ctx context.Context) error {
	for len(s.unrecorded) > 0 {
		if err := s.DB.RecordFailedPass(ctx, s.unrecorded[0]); err != nil {
			return fmt.Errorf("record pass: %w", err)
		}
		s.unrecorded = s.unrecorded[1:]
	}
	s.unrecorded = nil
	return nil
}

// Plan computes what a pass would do, without doing it.
func (s *Supervisor) Plan(ctx context.Context) (Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.planFull(ctx, false, s.workers.snapshot())
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
