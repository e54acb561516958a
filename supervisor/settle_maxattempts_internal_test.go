package supervisor

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// TestSettle_SpecMaxAttempts is the table of the per-spec maximum: a
// spec's restart_max_attempts replaces [restart] max_attempts for its own
// give-up, whichever way the failure came (an observed exit, a failed run,
// an unhealthy probe), and the reason names the maximum that applied; a
// spec without one keeps the daemon's.
func TestSettle_SpecMaxAttempts(t *testing.T) {
	pol := DefaultPolicy()
	pol.Jitter, pol.MaxAttempts = 0, 5
	ranShort := s0.Add(-time.Minute)
	exit := func(sp *store.Spec, before int) (int, bool, string) {
		obs := &runtime.Instance{UID: sp.UID, ID: "id", State: runtime.StateExited, ExitCode: code(1), StartedAt: ranShort}
		rec := &store.Instance{UID: sp.UID, RuntimeID: "id", State: store.InstanceRunning, ConsecutiveFailures: before, Generation: 1}
		next, v := settleExit(sp, rec, obs, false, s0, pol)
		return next.ConsecutiveFailures, v == verdictGiveUp, giveUpReason(next.ConsecutiveFailures, pol.forSpec(sp))
	}
	outcome := func(out store.Outcome) (int, bool, string) {
		reason := ""
		for _, e := range out.Events {
			if e.Kind == store.EventGaveUp {
				reason = e.Reason
			}
		}
		return out.Instance.ConsecutiveFailures, out.Instance.State == store.InstanceGaveUp, reason
	}
	run := func(sp *store.Spec, before int) (int, bool, string) {
		a := &Action{Kind: ActLaunch, UID: sp.UID, Spec: sp,
			Next: &store.Instance{UID: sp.UID, State: store.InstancePending, ConsecutiveFailures: before}}
		return outcome(Settle(a, Result{Step: StepRun, Err: errors.New("image not known"), At: s0}, pol))
	}
	unhealthy := func(sp *store.Spec, before int) (int, bool, string) {
		a := &Action{Kind: ActUnhealthy, UID: sp.UID, Spec: sp, Reason: "probe failed",
			Next: &store.Instance{UID: sp.UID, RuntimeID: "id", State: store.InstanceRunning, ConsecutiveFailures: before,
				StartedAt: store.Millis(ranShort)}}
		return outcome(Settle(a, Result{At: s0}, pol))
	}
	paths := map[string]func(*store.Spec, int) (int, bool, string){"exit": exit, "run": run, "unhealthy": unhealthy}
	for _, tc := range []struct {
		name    string
		restart store.RestartPolicy
		max     int // the spec's restart_max_attempts
		before  int // failures in a row before this one
		giveUp  bool
		reason  string // when it gives up
	}{
		{"SpecMaxReached", store.RestartOnFailure, 2, 2, true, "failed 3 times in a row (max_attempts 2): giving up"},
		{"SpecMaxNotYet", store.RestartOnFailure, 2, 1, false, ""},
		{"SpecMaxAboveTheDaemons", store.RestartOnFailure, 8, 5, false, ""},
		{"SpecMaxAboveTheDaemonsReached", store.RestartOnFailure, 8, 8, true, "failed 9 times in a row (max_attempts 8)"},
		{"SpecMaxOne", store.RestartOnFailure, 1, 1, true, "failed 2 times in a row (max_attempts 1)"},
		{"NoSpecMaxTheDaemons", store.RestartOnFailure, 0, 5, true, "failed 6 times in a row (max_attempts 5)"},
		{"NoSpecMaxNotYet", store.RestartOnFailure, 0, 4, false, ""},
		{"AlwaysNeverGivesUp", store.RestartAlways, 0, 50, false, ""},
	} {
		for name, path := range paths {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				sp := &store.Spec{UID: "a", Restart: tc.restart, RestartMaxAttempts: tc.max, Generation: 1}
				failures, gaveUp, reason := path(sp, tc.before)
				if failures != tc.before+1 || gaveUp != tc.giveUp {
					t.Fatalf("failures %d, gave up %v; want %d, %v", failures, gaveUp, tc.before+1, tc.giveUp)
				}
				if tc.giveUp && !strings.Contains(reason, tc.reason) {
					t.Fatalf("reason %q, want %q in it", reason, tc.reason)
				}
			})
		}
	}
}

// TestPolicy_ForSpec: the spec's maximum replaces the daemon's and nothing
// else; no spec, or 0, leaves the policy as it was.
func TestPolicy_ForSpec(t *testing.T) {
	pol := DefaultPolicy()
	if got := pol.forSpec(nil); got != pol {
		t.Fatalf("forSpec(nil) = %+v", got)
	}
	if got := pol.forSpec(&store.Spec{UID: "a"}); got != pol {
		t.Fatalf("forSpec(no maximum) = %+v", got)
	}
	want := pol
	want.MaxAttempts = 3
	if got := pol.forSpec(&store.Spec{UID: "a", RestartMaxAttempts: 3}); got != want {
		t.Fatalf("forSpec(3) = %+v, want %+v", got, want)
	}
}
