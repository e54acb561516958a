package supervisor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// PlanInput is everything a plan depends on.
type PlanInput struct {
	Specs    []*store.Spec
	Records  []*store.Instance
	Observed []runtime.Instance
	StoreID  string
	// Adopted holds the runtime ids the store adopted: ours whatever their labels.
	Adopted map[string]bool
	// AdoptUnlabeled lets a first pass adopt label-less instances of desired uids.
	AdoptUnlabeled bool
	Now            time.Time
	Policy         Policy
	// BrakeSince is when the brake first held for the ongoing condition; zero if it is not holding.
	BrakeSince time.Time
	// Force ignores the safety brake, on an operator's word.
	Force bool
	// FleetRemoved are the uids whose spec the fleet deleted (by uid, the
	// bucket revision): the brake holds their removal with no expiry.
	FleetRemoved map[string]int64
	// FirstPass is set on a supervisor's first pass: recorded instances that
	// still run are adopted by this process, with an event saying so.
	FirstPass bool
	// InFlight holds the uids whose worker has an action under way: the
	// plan leaves them alone, since their records are about to change.
	InFlight map[string]bool
	// Invalid are the specs the store could not use: their uids are skipped.
	Invalid []*store.InvalidSpec
	// Restarts are operators' restart requests, by uid (see plan_restart.go).
	Restarts map[string]time.Time
	// Unhealthy are the probe states of the uids the prober found
	// unhealthy, by uid (see health.go).
	Unhealthy map[string]HealthStatus
	// WasUnhealthy, on a process's first pass, holds the uids an earlier
	// process last wrote unhealthy (health.go): an exit of that very
	// instance the records do not know is the stop it died before recording.
	WasUnhealthy map[string]HealthStatus
	// Healthy holds, by uid, the instance whose probe last passed: what a
	// dependant waiting for "healthy" waits for (depends.go).
	Healthy map[string]runtime.InstanceID
}

// Plan is the output of Compute.
type Plan struct {
	Actions []Action `json:"actions"`
	// NextWake is the earliest future back-off deadline; zero if none.
	NextWake time.Time `json:"next_wake,omitzero"`
	// BrakeHeld is true when the brake dropped removals from this plan.
	BrakeHeld bool `json:"brake_held"`
	// FleetHeld says why the brake holds fleet-caused removals, which only
	// an operator releases; "" when it does not.
	FleetHeld string `json:"fleet_held,omitempty"`
	// Foreign counts listed instances that belong to another store.
	Foreign int `json:"foreign"`
	// InFlight lists the uids skipped because an action for them is under way.
	InFlight []string `json:"in_flight,omitempty"`
	// Invalid are the specs skipped because they cannot be used.
	Invalid []*store.InvalidSpec `json:"invalid,omitempty"`
}

// Compute is the planner: a pure function from desired, recorded and observed
// state to actions. It does no I/O and reads no clock.
func Compute(in PlanInput) Plan {
	// A merge over the three lists sorted by uid: no maps, and the lists
	// usually arrive nearly sorted, which the sort notices.
	specs := sortByUID(slices.Clone(in.Specs), func(s *store.Spec) string { return s.UID })
	records := sortByUID(slices.Clone(in.Records), func(r *store.Instance) string { return r.UID })
	observed := make([]*runtime.Instance, len(in.Observed))
	for i := range in.Observed {
		observed[i] = &in.Observed[i]
	}
	observed = sortByUID(observed, func(o *runtime.Instance) string { return o.UID })

	p := &planner{in: in, invalid: skipSet(in.Invalid), up: runningOf(in.Observed)}
	p.out.Invalid = in.Invalid
	seen := 0
	for len(specs)+len(records)+len(observed) > 0 {
		uid := lowest(specs, records, observed)
		var spec *store.Spec
		var rec *store.Instance
		var listed []*runtime.Instance
		spec, specs = take(specs, uid, func(s *store.Spec) string { return s.UID })
		rec, records = take(records, uid, func(r *store.Instance) string { return r.UID })
		listed, observed = takeAll(observed, uid)
		seen += len(listed)
		if p.invalid[uid] {
			continue // neither desired nor an orphan: left as it is
		}
		if in.InFlight[uid] {
			p.out.InFlight = append(p.out.InFlight, uid)
			continue
		}
		if obs, wait := p.choose(uid, spec, rec, listed); !wait {
			p.decide(uid, spec, rec, obs)
		}
	}
	p.brake(seen)
	return p.out
}

// sortByUID sorts a list by uid. Uids are unique in each list (a primary
// key; a runtime's names). The store's lists come sorted and most runtimes'
// nearly so: a sorted list costs one look.
func sortByUID[T any](list []*T, key func(*T) string) []*T {
	byUID := func(a, b *T) int { return strings.Compare(key(a), key(b)) }
	if !slices.IsSortedFunc(list, byUID) {
		slices.SortFunc(list, byUID)
	}
	return list
}

// lowest is the smallest uid at the head of the three sorted lists.
func lowest(specs []*store.Spec, records []*store.Instance, observed []*runtime.Instance) string {
	var buf [3]string
	heads := buf[:0]
	if len(specs) > 0 {
		heads = append(heads, specs[0].UID)
	}
	if len(records) > 0 {
		heads = append(heads, records[0].UID)
	}
	if len(observed) > 0 {
		heads = append(heads, observed[0].UID)
	}
	return slices.Min(heads)
}

// take returns the first element of a sorted list if it has the uid, and the
// list past every element with that uid: a uid listed twice counts once.
func take[T any](list []*T, uid string, key func(*T) string) (*T, []*T) {
	if len(list) == 0 || key(list[0]) != uid {
		return nil, list
	}
	first := list[0]
	for len(list) > 0 && key(list[0]) == uid {
		list = list[1:]
	}
	return first, list
}

// takeAll returns every element at the head of a sorted list with the uid
// (a runtime lists a uid more than once when ours are under several names),
// and the list past them.
func takeAll(list []*runtime.Instance, uid string) ([]*runtime.Instance, []*runtime.Instance) {
	n := 0
	for n < len(list) && list[n].UID == uid {
		n++
	}
	return list[:n], list[n:]
}

type planner struct {
	in      PlanInput
	out     Plan
	invalid map[string]bool // uids of specs that cannot be used
	// adopting: runtime ids this plan adopts (adopt_unlabeled)
	adopting map[string]bool
	// up: the running instance of each uid, for its dependants
	up map[string]runtime.InstanceID
	// records: each uid's record, made when a dependant asks (depends.go)
	records map[string]*store.Instance
}

func skipSet(invalid []*store.InvalidSpec) map[string]bool {
	set := make(map[string]bool, len(invalid))
	for _, v := range invalid {
		set[v.UID] = true
	}
	return set
}

func (p *planner) add(a Action) { p.out.Actions = append(p.out.Actions, a) }

func (p *planner) wake(t time.Time) {
	if t.After(p.in.Now) && (p.out.NextWake.IsZero() || t.Before(p.out.NextWake)) {
		p.out.NextWake = t
	}
}

// decide plans one uid from its spec, record and kept instance.
func (p *planner) decide(uid string, spec *store.Spec, rec *store.Instance, obs *runtime.Instance) {
	switch {
	case obs != nil && !p.ours(obs) && !p.adoptUnlabeled(spec, obs):
		p.foreign(uid, rec, obs)
	case spec == nil && obs != nil:
		p.add(Action{Kind: ActRemoveOrphan, UID: uid, Observed: obs,
			Reason: fmt.Sprintf("instance %s is ours but its spec is gone", obs.ID)})
	case spec == nil:
		p.add(Action{Kind: ActForget, UID: uid, Reason: "spec deleted and instance gone"})
	case spec.DesiredState == store.DesiredStopped:
		p.stopped(spec, rec, obs)
	case obs == nil:
		p.missing(spec, rec)
	case p.restartRequested(spec, rec, obs):
	case drifted(spec, rec, obs):
		p.add(Action{Kind: ActReplace, UID: uid, Spec: spec, Observed: obs, Next: carry(rec, spec),
			Reason: fmt.Sprintf("instance runs generation %d (hash %s), spec is at generation %d (hash %s)",
				genOf(obs, rec), hashOf(obs, rec), spec.Generation, spec.SpecHash)})
	case obs.State == runtime.StateExited:
		p.exited(spec, rec, obs)
	default:
		p.running(spec, rec, obs)
	}
}

// foreign reports an instance of another store once, and never touches it.
func (p *planner) foreign(uid string, rec *store.Instance, obs *runtime.Instance) {
	p.out.Foreign++
	if rec != nil && rec.State == store.InstanceForeign && rec.RuntimeID == string(obs.ID) {
		return
	}
	owner := obs.StoreID()
	if owner == "" {
		owner = "none"
	}
	reason := fmt.Sprintf("instance %s carries store label %s, not ours (%s): left alone; %s",
		obs.ID, owner, p.in.StoreID, adoptHint(uid, obs.StoreID()))
	next := carry(rec, nil)
	next.UID, next.RuntimeID, next.State = uid, string(obs.ID), store.InstanceForeign
	p.add(Action{Kind: ActRecord, UID: uid, Observed: obs, Next: next, Reason: reason,
		Events: []store.Event{{UID: uid, Kind: store.EventForeign, Reason: reason}}})
}

func (p *planner) stopped(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) {
	if obs != nil && obs.Renamed && obs.State == runtime.StateRunning {
		p.stopRenamed(spec, rec, obs)
		return
	}
	if obs != nil && obs.State == runtime.StateRunning {
		p.add(Action{Kind: ActStop, UID: spec.UID, Spec: spec, Observed: obs, Next: carry(rec, spec),
			Reason: "desired state is stopped"})
		return
	}
	if obs == nil {
		// Gone while it should be stopped anyway: the record must not go on
		// saying running.
		if rec != nil && rec.State != store.InstanceStopped && rec.State != store.InstanceForeign {
			next := carry(rec, spec)
			next.State, next.NextAttemptAt = store.InstanceStopped, store.Millis{}
			p.add(Action{Kind: ActRecord, UID: spec.UID, Next: next,
				Reason: fmt.Sprintf("desired state is stopped and %s instance %s is gone", rec.State, rec.RuntimeID)})
		}
		return
	}
	if rec != nil && rec.RuntimeID == string(obs.ID) && rec.State == store.InstanceStopped {
		return
	}
	next := carry(rec, spec)
	next.RuntimeID, next.State, next.ExitCode, next.NextAttemptAt = string(obs.ID), store.InstanceStopped, obs.ExitCode, store.Millis{}
	a := Action{Kind: ActRecord, UID: spec.UID, Observed: obs, Next: next,
		Reason: fmt.Sprintf("desired state is stopped and instance %s is %s", obs.ID, obs.State)}
	if rec == nil || rec.RuntimeID != string(obs.ID) {
		a.Reason = "stopped instance not in records"
		a.Events = []store.Event{{UID: spec.UID, Kind: store.EventResumed, Generation: obs.Generation(), Reason: a.Reason}}
	} else {
		a.Events = []store.Event{{UID: spec.UID, Kind: store.EventStopped, Generation: obs.Generation(), ExitCode: obs.ExitCode,
			Reason: fmt.Sprintf("instance %s exited with code %s while desired stopped", obs.ID, codeText(obs.ExitCode))}}
	}
	p.add(a)
}

func (p *planner) missing(spec *store.Spec, rec *store.Instance) {
	if rec != nil && rec.State == store.InstanceGaveUp && rec.Generation == spec.Generation {
		return // gave up: waits for an operator's start or a new generation
	}
	if exitAccepted(spec, rec) {
		p.completed(spec, rec)
		return
	}
	if rec != nil && rec.NextAttemptAt.Time().After(p.in.Now) {
		p.wake(rec.NextAttemptAt.Time())
		return
	}
	if p.waits(spec) {
		return
	}
	a := Action{Kind: ActLaunch, UID: spec.UID, Spec: spec, Next: carry(rec, spec), Reason: "not running"}
	// A recorded instance, running or exited, that the list no longer shows
	// has vanished. Launching it again is safe even if the list was wrong:
	// the runtime refuses a second instance under the same name.
	if rec != nil && rec.RuntimeID != "" {
		a.Reason = fmt.Sprintf("%s instance %s disappeared", rec.State, rec.RuntimeID)
	}
	p.add(a)
}

func (p *planner) running(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) {
	state := store.InstanceRunning
	if obs.State != runtime.StateRunning {
		state = store.InstanceUnknown
	}
	if rec == nil || rec.RuntimeID != string(obs.ID) || rec.State != state {
		next := carry(rec, spec)
		next.RuntimeID, next.State, next.ExitCode = string(obs.ID), state, nil
		next.Generation, next.SpecHash = spec.Generation, spec.SpecHash
		if !obs.StartedAt.IsZero() {
			next.StartedAt = store.Millis(obs.StartedAt)
		} else if rec == nil || rec.RuntimeID != string(obs.ID) {
			next.StartedAt = store.Millis(p.in.Now)
		}
		var events []store.Event
		if (rec == nil || rec.RuntimeID != string(obs.ID)) && !p.adopting[string(obs.ID)] { // adoptUnlabeled said it
			events = append(events, store.Event{UID: spec.UID, Kind: store.EventResumed, Generation: spec.Generation,
				Reason: fmt.Sprintf("%s instance %s not in records", obs.State, obs.ID)})
		}
		p.add(Action{Kind: ActRecord, UID: spec.UID, Observed: obs, Next: next, Events: events,
			Reason: fmt.Sprintf("record %s instance %s", obs.State, obs.ID)})
		return
	}
	if p.in.FirstPass {
		reason := fmt.Sprintf("instance %s still %s from before this start", obs.ID, obs.State)
		next := carry(rec, spec)
		p.add(Action{Kind: ActRecord, UID: spec.UID, Observed: obs, Next: next, Reason: reason,
			Events: []store.Event{{UID: spec.UID, Kind: store.EventResumed, Generation: rec.Generation, Reason: reason}}})
		return
	}
	if p.unhealthy(spec, rec, obs) || p.restartForDependency(spec, rec, obs) {
		return
	}
	if next, reason := settleRun(rec, spec, p.in.Now, p.in.Policy); next != nil {
		p.add(Action{Kind: ActRecord, UID: spec.UID, Observed: obs, Next: next, Reason: reason})
	}
}
