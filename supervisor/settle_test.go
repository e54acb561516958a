package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSettle is the failure policy's table: what each action's outcome
// writes to the record.
func TestSettle(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	pol.Jitter = 0
	failedRun := func(err error) supervisor.Result {
		return supervisor.Result{Step: supervisor.StepRun, Err: err, At: t0}
	}
	boom := errors.New("exit status 125: Error: image not known")
	type want struct {
		state      store.InstanceState
		failures   int
		attempts   int
		restarts   int
		nextAt     time.Time
		runtimeID  string
		events     string // kinds, comma separated
		lastError  string // substring
		deleted    bool
		noInstance bool
	}
	onFailure := spec("a", restart(store.RestartOnFailure))
	for _, tc := range []struct {
		name string
		a    supervisor.Action
		r    supervisor.Result
		want want
	}{
		{name: "LaunchOK",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstancePending, failures(3))},
			r:    supervisor.Result{RuntimeID: "id-new", At: t0},
			want: want{state: store.InstanceRunning, failures: 3, attempts: 1, runtimeID: "id-new", events: "launched"}},
		{name: "RelaunchOKCountsRestart",
			a:    supervisor.Action{Kind: supervisor.ActRelaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceExited, nextAt(t0))},
			r:    supervisor.Result{RuntimeID: "id-new", At: t0},
			want: want{state: store.InstanceRunning, attempts: 1, restarts: 1, runtimeID: "id-new", events: "relaunched"}},
		{name: "FirstFailedRunRetriesAtOnce",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a")},
			r:    failedRun(boom),
			want: want{state: store.InstancePending, failures: 1, attempts: 1, nextAt: t0, events: "failed", lastError: "image not known"}},
		{name: "SecondFailedRunBacksOff",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstancePending, failures(1))},
			r:    failedRun(boom),
			want: want{state: store.InstancePending, failures: 2, attempts: 1, nextAt: t0.Add(pol.BackoffInitial), events: "failed", lastError: "image not known"}},
		{name: "OnFailureGivesUpAfterMaxAttempts",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: onFailure, Next: rec("a", store.InstancePending, failures(pol.MaxAttempts))},
			r:    failedRun(boom),
			want: want{state: store.InstanceGaveUp, failures: pol.MaxAttempts + 1, attempts: 1, events: "failed,gave_up", lastError: "image not known"}},
		{name: "AlwaysNeverGivesUp",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstancePending, failures(30))},
			r:    failedRun(boom),
			want: want{state: store.InstancePending, failures: 31, attempts: 1, nextAt: t0.Add(pol.BackoffMax), events: "failed", lastError: "image not known"}},
		{name: "NameTakenIsNotAFailure",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceRunning)},
			r:    failedRun(fmt.Errorf("run: %w", runtime.ErrExists)),
			want: want{state: store.InstanceRunning, runtimeID: "id-a", nextAt: t0.Add(pol.BackoffInitial), lastError: "already in use"}},
		{name: "InterruptedIsNotAFailure",
			a:    supervisor.Action{Kind: supervisor.ActLaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstancePending, failures(1))},
			r:    supervisor.Result{Step: supervisor.StepRun, Err: context.Canceled, Interrupted: true, At: t0},
			want: want{state: store.InstancePending, failures: 1, lastError: "interrupted by shutdown"}},
		{name: "FailedRemoveCountsNothing",
			a:    supervisor.Action{Kind: supervisor.ActRelaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceExited, failures(1))},
			r:    supervisor.Result{Step: supervisor.StepRemove, Err: boom, At: t0},
			want: want{state: store.InstanceExited, failures: 1, runtimeID: "id-a", events: "failed", lastError: "remove a"}},
		{name: "StopOK",
			a:    supervisor.Action{Kind: supervisor.ActStop, UID: "a", Spec: spec("a", stopped), Next: rec("a", store.InstanceRunning, nextAt(t0))},
			r:    supervisor.Result{At: t0},
			want: want{state: store.InstanceStopped, runtimeID: "id-a", events: "stopped"}},
		{name: "RemoveOrphanOK",
			a: supervisor.Action{Kind: supervisor.ActRemoveOrphan, UID: "a", Observed: &runtime.Instance{UID: "a"}},
			r: supervisor.Result{At: t0}, want: want{deleted: true, noInstance: true, events: "removed_orphan"}},
		{name: "ResumedRelaunchCountsNoRestart",
			a:    supervisor.Action{Kind: supervisor.ActRelaunch, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceStopped), Resumed: true},
			r:    supervisor.Result{RuntimeID: "id-new", At: t0},
			want: want{state: store.InstanceRunning, attempts: 1, runtimeID: "id-new", events: "relaunched"}},
		{name: "ReplaceOK",
			a:    supervisor.Action{Kind: supervisor.ActReplace, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceRunning, failures(2))},
			r:    supervisor.Result{RuntimeID: "id-new", At: t0},
			want: want{state: store.InstanceRunning, failures: 2, attempts: 1, runtimeID: "id-new", events: "replaced"}},
		{name: "RestartOKCountsNoRestart",
			a:    supervisor.Action{Kind: supervisor.ActRestart, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceRunning)},
			r:    supervisor.Result{RuntimeID: "id-new", At: t0},
			want: want{state: store.InstanceRunning, attempts: 1, runtimeID: "id-new", events: "replaced"}},
		{name: "FailedRestartRunCountsAFailure",
			a:    supervisor.Action{Kind: supervisor.ActRestart, UID: "a", Spec: spec("a"), Next: rec("a", store.InstanceRunning)},
			r:    failedRun(boom),
			want: want{state: store.InstancePending, failures: 1, attempts: 1, nextAt: t0, events: "failed", lastError: "run a"}},
		{name: "RemoveDuplicateOK",
			a: supervisor.Action{Kind: supervisor.ActRemoveDuplicate, UID: "a", Observed: &runtime.Instance{UID: "a", ID: "k"},
				Duplicates: []runtime.Instance{{UID: "a", ID: "d1"}, {UID: "a", ID: "d2"}}, Next: rec("a", store.InstanceRunning)},
			r: supervisor.Result{At: t0}, want: want{noInstance: true, events: "removed_orphan,removed_orphan"}},
		{name: "RecordWritesThePlannersRecord",
			a: supervisor.Action{Kind: supervisor.ActRecord, UID: "a", Next: rec("a", store.InstanceExited, failures(4)),
				Events: []store.Event{{UID: "a", Kind: store.EventExited}}},
			want: want{state: store.InstanceExited, failures: 4, runtimeID: "id-a", events: "exited"}},
		{name: "ForgetDeletes",
			a:    supervisor.Action{Kind: supervisor.ActForget, UID: "a"},
			want: want{deleted: true, noInstance: true}},
		{name: "BrakeWritesItsEvent",
			a:    supervisor.Action{Kind: supervisor.ActBrake, Events: []store.Event{{Kind: store.EventBrakeHeld}}},
			want: want{noInstance: true, events: "brake_held"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.a.Next
			var saved store.Instance
			if before != nil {
				saved = *before
			}
			out := supervisor.Settle(&tc.a, tc.r, pol)
			if before != nil && *before != saved {
				t.Errorf("Settle changed the planned record: %+v", *before)
			}
			var kinds []string
			for _, e := range out.Events {
				kinds = append(kinds, string(e.Kind))
			}
			if got := strings.Join(kinds, ","); got != tc.want.events {
				t.Errorf("events=%q, want %q", got, tc.want.events)
			}
			if (out.Delete != "") != tc.want.deleted || (out.Instance == nil) != tc.want.noInstance {
				t.Fatalf("delete=%q instance=%v, want deleted %v, no instance %v", out.Delete, out.Instance, tc.want.deleted, tc.want.noInstance)
			}
			in := out.Instance
			if in == nil {
				return
			}
			w := tc.want
			if in.State != w.state || in.ConsecutiveFailures != w.failures || in.Attempts != w.attempts ||
				in.RestartCount != w.restarts || in.RuntimeID != w.runtimeID || !in.NextAttemptAt.Time().Equal(w.nextAt) {
				t.Errorf("record state=%s failures=%d attempts=%d restarts=%d id=%q next=%v, want %s %d %d %d %q %v",
					in.State, in.ConsecutiveFailures, in.Attempts, in.RestartCount, in.RuntimeID, in.NextAttemptAt.Time(),
					w.state, w.failures, w.attempts, w.restarts, w.runtimeID, w.nextAt)
			}
			if !strings.Contains(in.LastError, w.lastError) || (w.lastError == "" && in.LastError != "") {
				t.Errorf("last error %q, want %q", in.LastError, w.lastError)
			}
		})
	}
}

func TestPolicy_ZeroInitialBackoffMeansNone(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	pol.BackoffInitial, pol.Jitter = 0, 0
	for _, n := range []int{1, 2, 5, 40} {
		if d := pol.Delay("a", n); d != 0 {
			t.Errorf("Delay(%d) = %s with backoff_initial 0, want 0", n, d)
		}
	}
}
