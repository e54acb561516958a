package supervisor

import (
	"errors"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

var s0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func code(c int) *int { return &c }

// TestSettleExit is the failure policy's table for exits the planner
// observes: counting, the reset after a long run, back-off, give-up and
// acceptance.
func TestSettleExit(t *testing.T) {
	pol := DefaultPolicy()
	pol.Jitter = 0
	ranShort, ranLong := s0.Add(-time.Minute), s0.Add(-pol.BackoffReset)
	for _, tc := range []struct {
		name     string
		restart  store.RestartPolicy
		failures int // in the record before
		started  time.Time
		code     *int
		known    bool
		verdict  exitVerdict
		want     int       // failures after
		nextAt   time.Time // zero: none
	}{
		{"AlwaysFirstFailureRelaunchesAtOnce", store.RestartAlways, 0, ranShort, code(0), false, verdictRelaunch, 1, s0},
		{"AlwaysSecondFailureBacksOff", store.RestartAlways, 1, ranShort, code(0), false, verdictBackoff, 2, s0.Add(pol.BackoffInitial)},
		{"LongRunResetsTheCount", store.RestartAlways, 7, ranLong, code(1), false, verdictRelaunch, 1, s0},
		{"OnFailureCodeZeroIsAccepted", store.RestartOnFailure, 3, ranShort, code(0), false, verdictAccept, 3, time.Time{}},
		{"OnFailureUnknownCodeIsAFailure", store.RestartOnFailure, 0, ranShort, nil, false, verdictRelaunch, 1, s0},
		{"OnFailureGivesUp", store.RestartOnFailure, pol.MaxAttempts, ranShort, code(1), false, verdictGiveUp, pol.MaxAttempts + 1, time.Time{}},
		{"NeverAcceptsAFailure", store.RestartNever, 0, ranShort, code(2), false, verdictAccept, 1, time.Time{}},
		{"KnownExitIsNotCountedAgain", store.RestartAlways, 2, ranShort, code(1), true, verdictBackoff, 2, s0.Add(pol.BackoffInitial)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &store.Spec{UID: "a", Restart: tc.restart, Generation: 1}
			obs := &runtime.Instance{UID: "a", ID: "id-a", State: runtime.StateExited, ExitCode: tc.code, StartedAt: tc.started}
			rec := &store.Instance{UID: "a", RuntimeID: "id-a", State: store.InstanceRunning, ConsecutiveFailures: tc.failures, Generation: 1}
			if tc.known {
				rec.State, rec.ExitCode = store.InstanceExited, tc.code
				rec.NextAttemptAt = pol.retryAt("a", tc.failures, s0)
			}
			next, v := settleExit(spec, rec, obs, tc.known, s0, pol)
			if v != tc.verdict || next.ConsecutiveFailures != tc.want || !next.NextAttemptAt.Time().Equal(tc.nextAt) {
				t.Fatalf("verdict %d, failures %d, next %v; want %d, %d, %v", v, next.ConsecutiveFailures, next.NextAttemptAt.Time(), tc.verdict, tc.want, tc.nextAt)
			}
			if wantState := map[bool]store.InstanceState{true: store.InstanceGaveUp, false: store.InstanceExited}[v == verdictGiveUp]; next.State != wantState {
				t.Fatalf("state %s, want %s", next.State, wantState)
			}
			if rec.ConsecutiveFailures != tc.failures {
				t.Fatal("settleExit changed the record it was given")
			}
		})
	}
}

// TestSettleRun: the count of a running instance is reset after
// BackoffReset, and a stale retry time is cleared; nothing else is written.
func TestSettleRun(t *testing.T) {
	pol := DefaultPolicy()
	for _, tc := range []struct {
		name     string
		failures int
		started  time.Time
		nextAt   time.Time
		write    bool
	}{
		{"RanLongEnough", 3, s0.Add(-pol.BackoffReset), time.Time{}, true},
		{"NotYet", 3, s0.Add(-pol.BackoffReset + time.Second), time.Time{}, false},
		{"NoStartTimeNoReset", 3, time.Time{}, time.Time{}, false},
		{"StaleRetryCleared", 0, s0.Add(-time.Second), s0.Add(time.Minute), true},
		{"NothingToDo", 0, s0.Add(-time.Second), time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &store.Instance{UID: "a", State: store.InstanceRunning, ConsecutiveFailures: tc.failures,
				StartedAt: store.Millis(tc.started), NextAttemptAt: store.Millis(tc.nextAt)}
			next, reason := settleRun(rec, &store.Spec{UID: "a"}, s0, pol)
			if (next != nil) != tc.write {
				t.Fatalf("wrote %+v (%q), want a write: %v", next, reason, tc.write)
			}
			if next != nil && (next.ConsecutiveFailures != 0 || !next.NextAttemptAt.Time().IsZero() || reason == "") {
				t.Fatalf("record %+v, reason %q: want no failures, no retry, a reason", next, reason)
			}
		})
	}
}

// TestCarry_NewGenerationStartsAfresh: a record that gave up starts a new
// generation with a fresh count; any other keeps its counters.
func TestCarry_NewGenerationStartsAfresh(t *testing.T) {
	gaveUp := &store.Instance{UID: "a", State: store.InstanceGaveUp, Generation: 1, ConsecutiveFailures: 11, RestartCount: 4}
	if next := carry(gaveUp, &store.Spec{UID: "a", Generation: 2}); next.ConsecutiveFailures != 0 || next.RestartCount != 4 {
		t.Fatalf("new generation: %+v, want failures reset, restarts kept", next)
	}
	if next := carry(gaveUp, &store.Spec{UID: "a", Generation: 1}); next.ConsecutiveFailures != 11 {
		t.Fatalf("same generation: %+v, want failures kept", next)
	}
	exited := &store.Instance{UID: "a", State: store.InstanceExited, Generation: 1, ConsecutiveFailures: 3, ExitCode: code(1)}
	next := carry(exited, &store.Spec{UID: "a", Generation: 2})
	if next.ConsecutiveFailures != 3 || next.ExitCode == exited.ExitCode {
		t.Fatalf("exited, new generation: %+v, want failures kept and the exit code copied", next)
	}
	if next := carry(nil, &store.Spec{UID: "a"}); next.State != store.InstancePending || next.UID != "a" {
		t.Fatalf("no record: %+v, want a pending record of a", next)
	}
}

// TestExitAccepted: which recorded exits stay accepted when their
// instance is removed.
func TestExitAccepted(t *testing.T) {
	for _, tc := range []struct {
		restart store.RestartPolicy
		state   store.InstanceState
		code    *int
		gen     int64
		want    bool
	}{
		{store.RestartNever, store.InstanceExited, code(0), 1, true},
		{store.RestartNever, store.InstanceExited, code(9), 1, true},
		{store.RestartNever, store.InstanceExited, nil, 1, true},
		{store.RestartOnFailure, store.InstanceExited, code(0), 1, true},
		{store.RestartOnFailure, store.InstanceExited, code(1), 1, false},
		{store.RestartOnFailure, store.InstanceExited, nil, 1, false},
		{store.RestartAlways, store.InstanceExited, code(0), 1, false},
		{store.RestartNever, store.InstanceRunning, nil, 1, false},
		{store.RestartNever, store.InstanceExited, code(0), 2, false}, // another generation: a new job
	} {
		rec := &store.Instance{UID: "a", State: tc.state, ExitCode: tc.code, Generation: tc.gen}
		if got := exitAccepted(&store.Spec{UID: "a", Restart: tc.restart, Generation: 1}, rec); got != tc.want {
			t.Errorf("%s, %s, code %v, generation %d: accepted %v, want %v", tc.restart, tc.state, codeText(tc.code), tc.gen, got, tc.want)
		}
	}
}

// TestSettleWake: when a worker asks for a pass after an outcome.
func TestSettleWake(t *testing.T) {
	pol := DefaultPolicy()
	pol.Jitter = 0
	boom := errors.New("boom")
	launch := func(failures int) *Action {
		return &Action{Kind: ActLaunch, UID: "a", Spec: &store.Spec{UID: "a"},
			Next: &store.Instance{UID: "a", State: store.InstancePending, ConsecutiveFailures: failures}}
	}
	for _, tc := range []struct {
		name string
		a    *Action
		r    Result
		want time.Time
	}{
		{"SuccessAsksNothing", launch(0), Result{RuntimeID: "x", At: s0}, time.Time{}},
		{"FirstFailureAtOnce", launch(0), Result{Step: StepRun, Err: boom, At: s0}, s0},
		{"LaterFailureAtItsBackoff", launch(1), Result{Step: StepRun, Err: boom, At: s0}, s0.Add(pol.BackoffInitial)},
		{"NameTakenNotBeforeTheClamp", launch(0), Result{Step: StepRun, Err: runtime.ErrExists, At: s0}, s0.Add(max(pol.BackoffInitial, minRetryWake))},
		{"DuplicatesRemovedAtOnce", &Action{Kind: ActRemoveDuplicate, UID: "a", Observed: &runtime.Instance{UID: "a"}}, Result{At: s0}, s0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := settleWake(tc.a, tc.r, Settle(tc.a, tc.r, pol)); !got.Equal(tc.want) {
				t.Fatalf("wake %v, want %v", got, tc.want)
			}
		})
	}
	// With no back-off at all, a run that keeps failing is still not
	// retried faster than minRetryWake.
	pol.BackoffInitial = 0
	a, r := launch(3), Result{Step: StepRun, Err: boom, At: s0}
	if got := settleWake(a, r, Settle(a, r, pol)); !got.Equal(s0.Add(minRetryWake)) {
		t.Fatalf("wake with backoff_initial 0: %v, want %v", got, s0.Add(minRetryWake))
	}
}
