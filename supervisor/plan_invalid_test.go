package supervisor_test

import (
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestCompute_InvalidSpecSkipped: a uid whose spec cannot be used is neither
// desired (no launch, no relaunch) nor an orphan (no removal), and its record
// is not touched; the other uids are planned as usual.
func TestCompute_InvalidSpecSkipped(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	bad := &store.InvalidSpec{UID: "bad", Reason: "spec \"bad\": column env: json: cannot unmarshal number"}
	for _, tc := range []struct {
		name string
		in   supervisor.PlanInput
	}{
		{name: "RunningNotRemovedAsOrphan", in: supervisor.PlanInput{
			Observed: []runtime.Instance{obs("bad", runtime.StateRunning)},
			Records:  []*store.Instance{rec("bad", store.InstanceRunning)}}},
		{name: "ExitedNotRelaunchedNorRemoved", in: supervisor.PlanInput{
			Observed: []runtime.Instance{obs("bad", runtime.StateExited, exit(intp(1)))},
			Records:  []*store.Instance{rec("bad", store.InstanceRunning)}}},
		{name: "VanishedNotForgotten", in: supervisor.PlanInput{
			Records: []*store.Instance{rec("bad", store.InstanceRunning)}}},
		{name: "NothingListed", in: supervisor.PlanInput{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Specs = append(in.Specs, spec("good"))
			in.Invalid, in.StoreID, in.Now, in.Policy = []*store.InvalidSpec{bad}, ours, t0, pol
			p := supervisor.Compute(in)
			if got, want := describe(p.Actions), "[launch good: not running] "; got != want {
				t.Fatalf("actions = %q, want %q", got, want)
			}
			if len(p.Invalid) != 1 || p.Invalid[0] != bad {
				t.Fatalf("Invalid = %v, want the bad spec", p.Invalid)
			}
		})
	}
}

// TestCompute_ExitLeftCarriesNoNextAttempt: an exit the restart policy
// leaves (never; on-failure with code 0) is recorded without a next attempt,
// so it never shows as a back-off (issue 13, point 8).
func TestCompute_ExitLeftCarriesNoNextAttempt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy store.RestartPolicy
		code   *int
	}{
		{"NeverFailed", store.RestartNever, intp(1)},
		{"NeverOK", store.RestartNever, intp(0)},
		{"NeverUnknown", store.RestartNever, nil},
		{"OnFailureOK", store.RestartOnFailure, intp(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := supervisor.Compute(supervisor.PlanInput{
				Specs:    []*store.Spec{spec("a", restart(tc.policy))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(tc.code))},
				Records:  []*store.Instance{rec("a", store.InstanceRunning)},
				StoreID:  ours, Now: t0, Policy: supervisor.DefaultPolicy(),
			})
			if len(p.Actions) != 1 || p.Actions[0].Kind != supervisor.ActRecord || p.Actions[0].Next == nil {
				t.Fatalf("actions = %q, want one record", describe(p.Actions))
			}
			if next := p.Actions[0].Next; !next.NextAttemptAt.Time().IsZero() || next.State != store.InstanceExited {
				t.Fatalf("record = state %s, next attempt %v; want exited with no next attempt",
					next.State, next.NextAttemptAt.Time())
			}
			if !p.NextWake.IsZero() {
				t.Fatalf("NextWake = %v, want none", p.NextWake)
			}
		})
	}
}
