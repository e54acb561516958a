package supervisor

import (
	"context"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// ActionKind names what an action does. What each kind does is one row of
// the kinds table below: a new kind is a constant, a row, and the planner
// code that plans it (plus a call function if it calls the runtime).
type ActionKind string

// Action kinds.
const (
	ActLaunch          ActionKind = "launch"
	ActRelaunch        ActionKind = "relaunch"         // remove the exited instance, run again
	ActReplace         ActionKind = "replace"          // remove the drifted instance, run the new spec
	ActRestart         ActionKind = "restart"          // an operator's `veloslet restart` (plan_restart.go)
	ActStop            ActionKind = "stop"             // desired state is stopped
	ActRemoveOrphan    ActionKind = "remove-orphan"    // ours, no longer desired
	ActRemoveDuplicate ActionKind = "remove-duplicate" // ours beyond the one a uid keeps (plan_owned.go)
	ActRecord          ActionKind = "record"           // adopt, exit, back-off, give-up, reset, foreign
	ActForget          ActionKind = "forget"           // drop the record of a deleted spec's vanished instance
	ActBrake           ActionKind = "brake"            // the safety brake held removals back
	ActUnhealthy       ActionKind = "unhealthy"        // a probe found it unhealthy: stop it (and remove it, for recreate)
	ActWait            ActionKind = "wait"             // not launched yet: a dependency is not there (depends.go)
)

// kind is one row of the action table: everything the planner, the
// executor and Settle need to know about an action kind.
type kind struct {
	// call makes the action's runtime calls (sequence.go); nil for a
	// kind that only writes records, which the pass writes at once, in
	// order, without a worker.
	call func(s *Supervisor, ctx context.Context, a *Action, keepLog func(started bool)) Result
	// braked: the action destroys a live or drifted instance, so the safety
	// brake counts it and holds it back (plan_brake.go).
	braked bool
	// targeted: a pass over some uids may plan it on its own; anything else
	// is judged against the whole host (plan_targeted.go).
	targeted bool
	// event is the event success writes, beside the planner's own Events
	// (which record-only kinds write alone).
	event store.EventKind
	// settle is the record and events of a success (settle.go), under the
	// failure policy pol; a failure of any kind settles by settleFailure.
	settle func(a *Action, r Result, next *store.Instance, pol Policy) store.Outcome
	// countsRestart: success counts a restart (but for a resumed instance).
	countsRestart bool
	// startsInPlace: the runtime's start may relaunch the instance (inplace.go).
	startsInPlace bool
	// keepsLog: the exited instance's output is kept before it is destroyed (crashlog.go).
	keepsLog bool
	// wakes: success asks for a pass at once (the uid's own plan waited for it).
	wakes bool
	// announces: a "replacing" event is written before the calls begin, so
	// that status (another process) can tell the uid is being replaced
	// until the outcome's own event follows; see announcement.
	announces bool
	// quiet: not logged unless it writes events.
	quiet bool
}

// kinds is the action table. It is filled by init, not by its declaration:
// call functions look rows up (a start in place asks whether its kind may),
// which a declaration would refuse as an initialization cycle.
var kinds map[ActionKind]kind

func init() {
	kinds = map[ActionKind]kind{
		ActLaunch: {call: (*Supervisor).callLaunch, targeted: true,
			event: store.EventLaunched, settle: settleRunning},
		ActRelaunch: {call: (*Supervisor).callRelaunch, targeted: true,
			event: store.EventRelaunched, settle: settleRunning, countsRestart: true, startsInPlace: true, keepsLog: true},
		ActReplace: {call: (*Supervisor).callRelaunch, braked: true,
			event: store.EventReplaced, settle: settleRunning, keepsLog: true, announces: true},
		ActRestart: {call: (*Supervisor).callRelaunch,
			event: store.EventReplaced, settle: settleRunning, announces: true},
		ActStop: {call: (*Supervisor).callStop, targeted: true,
			event: store.EventStopped, settle: settleStopped},
		ActRemoveOrphan: {call: (*Supervisor).callRemoveOrphan, braked: true,
			event: store.EventRemovedOrphan, settle: settleRemoved},
		ActRemoveDuplicate: {call: (*Supervisor).callRemoveDuplicates,
			event: store.EventRemovedOrphan, settle: settleDuplicates, wakes: true},
		ActRecord: {targeted: true, settle: settleRecord, quiet: true},
		ActForget: {settle: settleForget},
		ActBrake:  {settle: settleRecord},
		ActUnhealthy: {call: (*Supervisor).callUnhealthy, targeted: true,
			event: store.EventUnhealthy, settle: settleUnhealthy, wakes: true},
		// Not targeted: a targeted pass does not list the dependencies,
		// so a wait is judged again by a full pass.
		ActWait: {settle: settleRecord, quiet: true},
	}
}

// row returns the action's row of the table. An unknown kind is a
// programming error: it panics rather than run with every property off.
func (a *Action) row() kind {
	k, ok := kinds[a.Kind]
	if !ok {
		panic("supervisor: action kind " + string(a.Kind) + " has no row in the kinds table")
	}
	return k
}

// callsRuntime reports whether executing the action calls the runtime.
func (a *Action) callsRuntime() bool { return a.row().call != nil }

// braked reports whether the safety brake counts the action.
func (a *Action) braked() bool { return a.row().braked }

// Action is one step of a plan, with a reason an operator can read.
type Action struct {
	Kind   ActionKind `json:"kind"`
	UID    string     `json:"uid,omitempty"`
	Reason string     `json:"reason"`

	Spec     *store.Spec       `json:"-"` // the spec to run, for launch, relaunch, replace
	Observed *runtime.Instance `json:"-"`
	// Next is the record to write once the action succeeds; the executor adds
	// what only the runtime knows (runtime id, start time).
	Next *store.Instance `json:"-"`
	// Events are written with the outcome (before the executor's own event).
	Events []store.Event `json:"-"`
	// Duplicates are the instances a remove-duplicate action removes.
	Duplicates []runtime.Instance `json:"-"`
	// Adopt records adoptions with the action (see store.Adoption).
	Adopt []store.Adoption `json:"-"`
	// Resumed marks the relaunch of an instance stopped on purpose and
	// wanted again: an operator's start, not a restart after an exit.
	Resumed bool `json:"-"`
	// Recreate: an unhealthy instance is removed, not only stopped, so
	// that a fresh container replaces it (health.on_failure = "recreate").
	Recreate bool `json:"-"`
}

// Step names a runtime call of an action's sequence.
type Step string

// Steps, as Result.Step names the one that failed.
const (
	StepStart  Step = "start" // a start in place
	StepStop   Step = "stop"
	StepRemove Step = "remove"
	StepRun    Step = "run"
)

// Result is what executing an action's runtime calls came to.
type Result struct {
	// Step names the runtime call that failed; empty on success.
	Step Step
	Err  error
	// Interrupted: the call was cut short by this process shutting down,
	// which says nothing about the container.
	Interrupted bool
	// RuntimeID is the instance a successful launch started.
	RuntimeID runtime.InstanceID
	// InPlace: the exited instance was started again, not removed and run.
	InPlace bool
	// Note says why a relaunch fell back from starting in place, if it did.
	Note string
	At   time.Time
}
