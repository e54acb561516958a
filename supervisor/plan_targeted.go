package supervisor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// uidLister is implemented by runtimes that can list one uid's container
// without listing the host (podman, docker, the simulation). They look it up
// by its name, so an instance of ours under another name is not in their
// answer: see planUIDs.
type uidLister interface {
	ListUID(ctx context.Context, uid string) ([]runtime.Instance, error)
}

// planPass plans a pass: over opts.UIDs alone when it can (the deaths the
// event stream reported: their records, their specs and one look at each
// container), from a full list otherwise. targeted reports which. A plan
// with an action whose row is not targeted (a removal, a replacement, a
// brake) is judged against the whole host: it is made again from a full list.
func (s *Supervisor) planPass(ctx context.Context, opts PassOptions, inFlight map[string]bool) (p Plan, in PlanInput, targeted bool, err error) {
	if lister, ok := s.Runtime.(uidLister); ok && len(opts.UIDs) > 0 && s.observedOK && !opts.Force {
		p, in, err = s.planUIDs(ctx, lister, opts, inFlight)
		if err == nil && !slices.ContainsFunc(p.Actions, func(a Action) bool { return !a.row().targeted }) {
			return p, in, true, nil
		}
		// A look that failed, or a plan that needs the whole host: the full pass decides.
	}
	p, in, err = s.planFull(ctx, opts.Force, inFlight)
	return p, in, false, err
}

// planUIDs plans over opts.UIDs alone. The store is read as a full pass
// reads it (its decoded specs are cached); the runtime is asked about each
// uid only, and not at all about a death its event showed (deathSeen).
func (s *Supervisor) planUIDs(ctx context.Context, lister uidLister, opts PassOptions, inFlight map[string]bool) (Plan, PlanInput, error) {
	uids := opts.UIDs
	st, err := s.DB.ReadState(ctx)
	if err != nil {
		return Plan{}, PlanInput{}, fmt.Errorf("read state: %w", err)
	}
	var observed []runtime.Instance
	for _, uid := range uids {
		if seen, ok := s.deathSeen(uid, opts.Deaths, st.Instances); ok {
			observed = append(observed, seen)
			continue
		}
		list, err := lister.ListUID(ctx, uid)
		if err != nil {
			return Plan{}, PlanInput{}, fmt.Errorf("list %s: %w", uid, err)
		}
		observed = append(observed, list...)
	}
	want := func(uid string) bool { return slices.Contains(uids, uid) }
	in := PlanInput{
		Specs:    filterUIDs(st.Specs, func(s *store.Spec) bool { return want(s.UID) }),
		Records:  filterUIDs(st.Instances, func(r *store.Instance) bool { return want(r.UID) }),
		Invalid:  filterUIDs(st.Invalid, func(v *store.InvalidSpec) bool { return want(v.UID) }),
		Observed: observed, StoreID: s.DB.StoreID(), Adopted: st.Adopted, AdoptUnlabeled: s.AdoptUnlabeled,
		Now: s.now(), Policy: s.policy(),
		BrakeSince: s.brakeSince, InFlight: inFlight, Unhealthy: s.unhealthyNow(), Healthy: s.healthyNow(ctx),
	}
	// The look finds a container by its name. One the record names but the
	// look did not show (renamed, or removed) is the full list's to find:
	// taken as gone, the plan would launch beside it, whatever the restart
	// policy says of its exit.
	for _, r := range in.Records {
		if r.RuntimeID != "" && !slices.ContainsFunc(observed, func(o runtime.Instance) bool { return string(o.ID) == r.RuntimeID }) {
			return Plan{}, PlanInput{}, fmt.Errorf("%s: instance %s not where its name says", r.UID, r.RuntimeID)
		}
	}
	return Compute(in), in, nil
}

// deathSeen returns what the newest death event of uid showed of its
// instance, when that says all a look would: the event names the instance
// the record holds as running, with its exit code and this store's label,
// and came after the record's start. A start in place keeps the id, so an
// older run's death (an event that waited behind a pass that started the
// instance again) must not pass for this run's: the backend vouches that
// the event's time is by this host's clock (podman.Vouch), and the record's
// start is taken after the runtime's start returned, so that event is older
// than it. Anything else (a death before its start was recorded, an
// adopted instance, one without our label) is looked at.
func (s *Supervisor) deathSeen(uid string, deaths []runtime.Event, records []*store.Instance) (runtime.Instance, bool) {
	var ev *runtime.Event
	for i := range deaths {
		if d := &deaths[i]; d.UID == uid && d.Instance != nil && (ev == nil || d.At.After(ev.At)) {
			ev = d
		}
	}
	i := slices.IndexFunc(records, func(r *store.Instance) bool { return r.UID == uid })
	if ev == nil || i < 0 || ev.At.IsZero() {
		return runtime.Instance{}, false
	}
	rec, in := records[i], *ev.Instance
	ok := rec.State == store.InstanceRunning && rec.RuntimeID == string(in.ID) && ev.At.After(rec.StartedAt.Time()) &&
		in.UID == uid && !in.Renamed && in.State == runtime.StateExited && in.ExitCode != nil &&
		s.DB.StoreID() != "" && in.StoreID() == s.DB.StoreID()
	return in, ok
}

// shownRunning reports whether a uid the pass was asked about is listed
// running with nothing to do: its death's event came before the list shows it.
func shownRunning(plan Plan, in PlanInput) bool {
	for _, o := range in.Observed {
		if o.State == runtime.StateRunning && !slices.ContainsFunc(plan.Actions, func(a Action) bool { return a.UID == o.UID }) {
			return true
		}
	}
	return false
}

func filterUIDs[T any](list []*T, keep func(*T) bool) []*T {
	var out []*T
	for _, x := range list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// eventRecheck is how long after a death's pass found the instance still
// running a full pass looks again: a runtime can send the event before its
// list shows the death (dockerd's list lags its "die" now and then), and
// such a death must not wait for the next cron tick or resync. Only then:
// a second look after every death would stand in the way of the next
// death's pass.
const eventRecheck = time.Second

// dispatchTargeted does for a targeted plan what start does for a full one,
// minus what only a look at the whole host may decide.
func (s *Supervisor) dispatchTargeted(plan Plan, in PlanInput) {
	if shownRunning(plan, in) {
		s.wake(in.Now.Add(eventRecheck))
	}
	if s.workers.markSkipped(plan.InFlight) {
		s.wake(in.Now)
	}
	if !plan.NextWake.IsZero() {
		s.wake(plan.NextWake)
	}
}
