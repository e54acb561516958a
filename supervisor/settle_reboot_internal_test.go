package supervisor

import (
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// TestSettleExit_Reboot: an exit of an instance that started before the
// host's boot time is no failure: relaunched at once, the count unmoved,
// whatever its code but under restart = never; one that started after the
// boot is judged as any exit.
func TestSettleExit_Reboot(t *testing.T) {
	pol := DefaultPolicy()
	pol.Jitter = 0
	pol.BootTime = s0.Add(-time.Minute)
	before, after := pol.BootTime.Add(-time.Second), pol.BootTime.Add(time.Second) // both ran shorter than BackoffReset
	for _, tc := range []struct {
		name     string
		restart  store.RestartPolicy
		failures int
		started  time.Time
		code     *int
		known    bool
		verdict  exitVerdict
		want     int
	}{
		{"AlwaysAfterThreeFailuresRelaunchesAtOnce", store.RestartAlways, 3, before, code(137), false, verdictRelaunch, 3},
		{"AtTheCrashLoopThresholdNoMore", store.RestartAlways, pol.CrashLoopAfter - 1, before, code(1), false, verdictRelaunch, pol.CrashLoopAfter - 1},
		{"OnFailureCodeZeroStillRelaunched", store.RestartOnFailure, 0, before, code(0), false, verdictRelaunch, 0},
		{"OnFailureKnownCodeZeroStillRelaunched", store.RestartOnFailure, 0, before, code(0), true, verdictRelaunch, 0},
		{"NeverStaysAccepted", store.RestartNever, 0, before, code(0), false, verdictAccept, 0},
		{"StartedAfterTheBootIsAFailure", store.RestartAlways, 3, after, code(1), false, verdictBackoff, 4},
		{"UnknownStartIsAFailure", store.RestartAlways, 3, time.Time{}, code(1), false, verdictBackoff, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &store.Spec{UID: "a", Restart: tc.restart, Generation: 1}
			obs := &runtime.Instance{UID: "a", ID: "id-a", State: runtime.StateExited, ExitCode: tc.code, StartedAt: tc.started}
			rec := &store.Instance{UID: "a", RuntimeID: "id-a", State: store.InstanceRunning, ConsecutiveFailures: tc.failures, Generation: 1}
			if tc.known {
				rec.State, rec.ExitCode = store.InstanceExited, tc.code
			}
			next, v := settleExit(spec, rec, obs, tc.known, s0, pol)
			if v != tc.verdict || next.ConsecutiveFailures != tc.want {
				t.Fatalf("verdict %d, failures %d; want %d, %d", v, next.ConsecutiveFailures, tc.verdict, tc.want)
			}
			if v == verdictRelaunch && !next.NextAttemptAt.Time().IsZero() && next.NextAttemptAt.Time().After(s0) {
				t.Fatalf("relaunch waits until %v", next.NextAttemptAt.Time())
			}
		})
	}
}
