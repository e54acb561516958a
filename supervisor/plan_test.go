package supervisor_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

const ours = "ourstore"

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type specOpt func(*store.Spec)

func spec(uid string, opts ...specOpt) *store.Spec {
	s := &store.Spec{UID: uid, Restart: store.RestartAlways, DesiredState: store.DesiredRunning,
		Generation: 1, SpecHash: "h1"}
	s.Image = "img"
	for _, o := range opts {
		o(s)
	}
	return s
}

func restart(p store.RestartPolicy) specOpt { return func(s *store.Spec) { s.Restart = p } }
func stopped(s *store.Spec)                 { s.DesiredState = store.DesiredStopped }
func gen(g int64, h string) specOpt         { return func(s *store.Spec) { s.Generation, s.SpecHash = g, h } }

func intp(i int) *int { return &i }

type obsOpt func(*runtime.Instance)

func obs(uid string, state runtime.State, opts ...obsOpt) runtime.Instance {
	in := runtime.Instance{UID: uid, ID: runtime.InstanceID("id-" + uid), Name: "velos-" + uid, State: state,
		StartedAt: t0.Add(-time.Minute),
		Labels: map[string]string{runtime.LabelUID: uid, runtime.LabelStore: ours,
			runtime.LabelGeneration: "1", runtime.LabelSpecHash: "h1"}}
	for _, o := range opts {
		o(&in)
	}
	return in
}

func exit(code *int) obsOpt { return func(in *runtime.Instance) { in.ExitCode = code } }
func store_(id string) obsOpt {
	return func(in *runtime.Instance) {
		if id == "" {
			delete(in.Labels, runtime.LabelStore)
		} else {
			in.Labels[runtime.LabelStore] = id
		}
	}
}
func labels(gen, hash string) obsOpt {
	return func(in *runtime.Instance) {
		in.Labels[runtime.LabelGeneration], in.Labels[runtime.LabelSpecHash] = gen, hash
		if gen == "" {
			delete(in.Labels, runtime.LabelGeneration)
		}
		if hash == "" {
			delete(in.Labels, runtime.LabelSpecHash)
		}
	}
}
func startedAt(t time.Time) obsOpt { return func(in *runtime.Instance) { in.StartedAt = t } }

type recOpt func(*store.Instance)

func rec(uid string, state store.InstanceState, opts ...recOpt) *store.Instance {
	r := &store.Instance{UID: uid, RuntimeID: "id-" + uid, State: state, Generation: 1, SpecHash: "h1",
		StartedAt: store.Millis(t0.Add(-time.Minute))}
	for _, o := range opts {
		o(r)
	}
	return r
}

func failures(n int) recOpt { return func(r *store.Instance) { r.ConsecutiveFailures = n } }
func nextAt(t time.Time) recOpt {
	return func(r *store.Instance) { r.NextAttemptAt = store.Millis(t) }
}
func recStarted(t time.Time) recOpt {
	return func(r *store.Instance) { r.StartedAt = store.Millis(t) }
}

type want struct {
	kind   supervisor.ActionKind
	uid    string
	events []store.EventKind
	reason string // substring
}

func TestCompute(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	many := func(n int, state runtime.State) (specs []*store.Spec, observed []runtime.Instance, recs []*store.Instance) {
		for i := range n {
			uid := string(rune('a' + i))
			specs = append(specs, spec(uid))
			observed = append(observed, obs(uid, state, exit(intp(1))))
			recs = append(recs, rec(uid, store.InstanceRunning))
		}
		return
	}
	brakeSpecs, brakeObs, brakeRecs := many(6, runtime.StateExited)
	_, runObs, runRecs := many(6, runtime.StateRunning)
	var newSpecs []*store.Spec // every running instance drifted: a mass replace
	for _, sp := range brakeSpecs {
		newSpecs = append(newSpecs, spec(sp.UID, gen(2, "h2")))
	}
	relaunches := func(n int) (w []want) {
		for i := range n {
			w = append(w, want{kind: supervisor.ActRelaunch, uid: string(rune('a' + i))})
		}
		return w
	}
	removals := func(n int) (w []want) {
		for i := range n {
			w = append(w, want{kind: supervisor.ActRemoveOrphan, uid: string(rune('a' + i))})
		}
		return w
	}

	for _, tc := range []struct {
		name     string
		in       supervisor.PlanInput
		want     []want
		wantWake time.Time
		brake    bool
		inFlight []string
	}{
		{name: "LaunchMissing",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a")}},
			want: []want{{kind: supervisor.ActLaunch, uid: "a", reason: "not running"}}},
		{name: "LaunchDisappeared",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActLaunch, uid: "a", reason: "disappeared"}}},
		{name: "AdoptUnknownRunning",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning)}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventResumed}}}},
		{name: "NothingWhenRunningAndRecorded",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning)},
				Records: []*store.Instance{rec("a", store.InstanceRunning)}}},
		{name: "AdoptRecordedOnFirstPass",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning)},
				Records: []*store.Instance{rec("a", store.InstanceRunning)}, FirstPass: true},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventResumed}, reason: "before this start"}}},
		{name: "AdoptWithoutLabelsIsNotDrift",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(4, "h4"))},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, labels("", ""))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventResumed}}}},
		{name: "ReplaceOnHashDrift",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(2, "h2"))},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning)}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActReplace, uid: "a", reason: "generation 1"}}},
		{name: "ReplaceOnGenerationDriftWithoutHash",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(2, "h2"))},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, labels("1", ""))}},
			want: []want{{kind: supervisor.ActReplace, uid: "a"}}},
		{name: "SameHashNewerLabelGenerationIsAdopted",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(1, "h1"))},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, labels("5", "h1"))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventResumed}}}},
		{name: "RelaunchAlwaysOnExitZero",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning)},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(0)))}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", events: []store.EventKind{store.EventExited}}}},
		{name: "RelaunchOnFailureNonZero",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartOnFailure))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(2)))}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", events: []store.EventKind{store.EventExited}}}},
		{name: "RelaunchOnFailureUnknownCode",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartOnFailure))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited)}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", reason: "code unknown"}}},
		{name: "OnFailureExitZeroIsRecordedAndLeft",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartOnFailure))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(0)))}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventExited}, reason: "leaves it"}}},
		{name: "NeverIsRecordedAndLeft",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartNever))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventExited}}}},
		{name: "NeverKnownExitIsNothing",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartNever))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}, Records: []*store.Instance{rec("a", store.InstanceExited)}}},
		{name: "StopWhenDesiredStopped",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", stopped)}, Observed: []runtime.Instance{obs("a", runtime.StateRunning)},
				Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActStop, uid: "a"}}},
		{name: "StoppedAndExitedIsNothing",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", stopped)}, Observed: []runtime.Instance{obs("a", runtime.StateExited)},
				Records: []*store.Instance{rec("a", store.InstanceStopped)}}},
		{name: "StartAfterStop",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(143)))},
				Records: []*store.Instance{rec("a", store.InstanceStopped)}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", reason: "running again"}}},
		{name: "RemoveOrphan",
			in:   supervisor.PlanInput{Observed: []runtime.Instance{obs("a", runtime.StateRunning)}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRemoveOrphan, uid: "a"}}},
		{name: "ForeignOtherStore",
			in:   supervisor.PlanInput{Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_("otherstore"))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}, reason: "otherstore"}}},
		{name: "ForeignNoStoreLabel",
			in:   supervisor.PlanInput{Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}, reason: "none"}}},
		{name: "ForeignHoldsDesiredUID",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, store_("otherstore"))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}}}},
		{name: "ForeignReportedOnce",
			in: supervisor.PlanInput{Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_("otherstore"))},
				Records: []*store.Instance{rec("a", store.InstanceForeign)}}},
		{name: "ForgetDeletedAndGone",
			in:   supervisor.PlanInput{Records: []*store.Instance{rec("a", store.InstanceExited)}},
			want: []want{{kind: supervisor.ActForget, uid: "a"}}},
		{name: "BackoffOnSecondFailure",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning, failures(1))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}},
			want:     []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventExited, store.EventBackoff}, reason: "relaunch in"}},
			wantWake: t0.Add(pol.Delay("a", 2))},
		{name: "BackoffWaits",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")},
				Records:  []*store.Instance{rec("a", store.InstanceExited, failures(2), nextAt(t0.Add(5*time.Second)))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}},
			wantWake: t0.Add(5 * time.Second)},
		{name: "BackoffExpired",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")},
				Records:  []*store.Instance{rec("a", store.InstanceExited, failures(2), nextAt(t0.Add(-time.Second)))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a"}}},
		{name: "BackoffLaunchWaits",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")},
				Records: []*store.Instance{rec("a", store.InstancePending, failures(3), nextAt(t0.Add(time.Minute)))}},
			wantWake: t0.Add(time.Minute)},
		{name: "ResetAfterLongRunBeforeExit",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning, failures(6))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)), startedAt(t0.Add(-time.Hour)))}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", events: []store.EventKind{store.EventExited}}}},
		{name: "ResetWhileRunning",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning)},
				Records: []*store.Instance{rec("a", store.InstanceRunning, failures(4), recStarted(t0.Add(-11*time.Minute)))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", reason: "reset"}}},
		{name: "GiveUpOnFailure",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartOnFailure))},
				Records:  []*store.Instance{rec("a", store.InstanceRunning, failures(10))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventExited, store.EventGaveUp}}}},
		{name: "GaveUpStaysDown",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", restart(store.RestartOnFailure))},
				Records:  []*store.Instance{rec("a", store.InstanceGaveUp, failures(11))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}}},
		{name: "AlwaysNeverGivesUpButMarksCrashLoop",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")},
				Records:  []*store.Instance{rec("a", store.InstanceExited, failures(30), nextAt(t0.Add(-time.Second)))},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a", reason: "crash-loop"}}},
		{name: "NoBrakeOnMassRelaunch", // a host reboot: everything listed exited at once
			in:   supervisor.PlanInput{Specs: brakeSpecs, Observed: brakeObs, Records: brakeRecs},
			want: relaunches(6)},
		{name: "NoBrakeOnMassVanishing",
			in: supervisor.PlanInput{Specs: brakeSpecs[:4], Records: brakeRecs[:4]},
			want: []want{{kind: supervisor.ActLaunch, uid: "a", reason: "disappeared"}, {kind: supervisor.ActLaunch, uid: "b"},
				{kind: supervisor.ActLaunch, uid: "c"}, {kind: supervisor.ActLaunch, uid: "d"}}},
		{name: "BrakeHoldsMassOrphanRemoval",
			in:    supervisor.PlanInput{Observed: runObs, Records: runRecs},
			want:  []want{{kind: supervisor.ActBrake, events: []store.EventKind{store.EventBrakeHeld}, reason: "would remove or replace 6 of 6"}},
			brake: true},
		{name: "BrakeHoldsMassReplace",
			in:    supervisor.PlanInput{Specs: newSpecs, Observed: runObs, Records: runRecs},
			want:  []want{{kind: supervisor.ActBrake, events: []store.EventKind{store.EventBrakeHeld}, reason: "6 of 6"}},
			brake: true},
		{name: "BrakeHoldsOnlyDestruction", // removals held; the new spec and the exited one go ahead
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("new"), spec("x")},
				Observed: append(slices.Clone(runObs), obs("x", runtime.StateExited, exit(intp(1)))),
				Records:  append(slices.Clone(runRecs), rec("x", store.InstanceRunning))},
			want: []want{{kind: supervisor.ActLaunch, uid: "new"}, {kind: supervisor.ActRelaunch, uid: "x", events: []store.EventKind{store.EventExited}},
				{kind: supervisor.ActBrake, reason: "6 of 7"}},
			brake: true},
		{name: "BrakeIgnoresFewRemovals",
			in:   supervisor.PlanInput{Observed: runObs[:3], Records: runRecs[:3]},
			want: removals(3)},
		{name: "BrakeReleasedAfterHold",
			in:   supervisor.PlanInput{Observed: runObs[:4], Records: runRecs[:4], BrakeSince: t0.Add(-2 * time.Minute)},
			want: removals(4)},
		{name: "BrakeForced",
			in:   supervisor.PlanInput{Observed: runObs[:4], Records: runRecs[:4], Force: true},
			want: removals(4)},
		{name: "InFlightSkipped",
			in: supervisor.PlanInput{Specs: brakeSpecs[:2], Observed: brakeObs[:2], Records: brakeRecs[:2],
				InFlight: map[string]bool{"a": true}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "b"}}, inFlight: []string{"a"}},
		{name: "StoppedAfterExitIsRecorded", // exited, then the operator stopped it: not running for ever
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", stopped)}, Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))},
				Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventStopped}}}},
		{name: "StoppedAndGoneIsRecorded",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a", stopped)}, Records: []*store.Instance{rec("a", store.InstanceRunning)}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", reason: "is gone"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.StoreID, in.Now, in.Policy = ours, t0, pol
			got := supervisor.Compute(in)
			if len(got.Actions) != len(tc.want) {
				t.Fatalf("actions=%s, want %d", describe(got.Actions), len(tc.want))
			}
			for i, w := range tc.want {
				a := got.Actions[i]
				if a.Kind != w.kind || a.UID != w.uid || !strings.Contains(a.Reason, w.reason) {
					t.Errorf("action %d = %s %s %q, want %s %s containing %q", i, a.Kind, a.UID, a.Reason, w.kind, w.uid, w.reason)
				}
				if w.events != nil {
					var kinds []store.EventKind
					for _, e := range a.Events {
						kinds = append(kinds, e.Kind)
					}
					if strings.Join(toStrings(kinds), ",") != strings.Join(toStrings(w.events), ",") {
						t.Errorf("action %d events=%v, want %v", i, kinds, w.events)
					}
				}
			}
			if !got.NextWake.Equal(tc.wantWake) {
				t.Errorf("NextWake=%v, want %v", got.NextWake, tc.wantWake)
			}
			if strings.Join(got.InFlight, ",") != strings.Join(tc.inFlight, ",") {
				t.Errorf("InFlight=%v, want %v", got.InFlight, tc.inFlight)
			}
			if got.BrakeHeld != tc.brake {
				t.Errorf("BrakeHeld=%v, want %v", got.BrakeHeld, tc.brake)
			}
		})
	}
}

func describe(actions []supervisor.Action) string {
	var b strings.Builder
	for _, a := range actions {
		b.WriteString("[" + string(a.Kind) + " " + a.UID + ": " + a.Reason + "] ")
	}
	return b.String()
}

func toStrings(kinds []store.EventKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// TestCompute_FailureCounting follows one uid's record through a crash loop.
func TestCompute_FailureCounting(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	in := supervisor.PlanInput{StoreID: ours, Now: t0, Policy: pol, Specs: []*store.Spec{spec("a")},
		Records:  []*store.Instance{rec("a", store.InstanceRunning, failures(0))},
		Observed: []runtime.Instance{obs("a", runtime.StateExited, exit(intp(1)))}}
	a := supervisor.Compute(in).Actions[0]
	if a.Kind != supervisor.ActRelaunch || a.Next.ConsecutiveFailures != 1 {
		t.Fatalf("first failure: %s with %d failures, want immediate relaunch with 1", a.Kind, a.Next.ConsecutiveFailures)
	}
	if code := a.Next.ExitCode; code == nil || *code != 1 {
		t.Fatalf("recorded exit code %v, want 1", code)
	}
}

func TestPolicy_Delay(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	if d := pol.Delay("a", 1); d != 0 {
		t.Fatalf("first relaunch waits %s, want 0", d)
	}
	for n, base := range map[int]time.Duration{2: 10 * time.Second, 3: 20 * time.Second, 4: 40 * time.Second, 40: 5 * time.Minute} {
		d := pol.Delay("a", n)
		lo, hi := time.Duration(float64(base)*0.8), time.Duration(float64(base)*1.2)
		if d < lo || d > hi {
			t.Errorf("Delay(%d)=%s, want within [%s, %s]", n, d, lo, hi)
		}
		if again := pol.Delay("a", n); again != d {
			t.Errorf("Delay(%d) not deterministic: %s then %s", n, d, again)
		}
	}
	if pol.Delay("a", 5) == pol.Delay("b", 5) && pol.Delay("c", 5) == pol.Delay("d", 5) {
		t.Error("jitter does not vary by uid")
	}
}

// TestCompute_ServiceRestartedNoFailure: an instance the runtime's service
// stopped (runtime.Instance.ServiceRestarted) is relaunched at once with no
// failure counted, whatever it had before, and the exited event says why.
func TestCompute_ServiceRestartedNoFailure(t *testing.T) {
	lost := func(in *runtime.Instance) { in.ServiceRestarted = true }
	in := supervisor.PlanInput{StoreID: ours, Now: t0, Policy: supervisor.DefaultPolicy(), Specs: []*store.Spec{spec("a")},
		Records:  []*store.Instance{rec("a", store.InstanceRunning, failures(0))},
		Observed: []runtime.Instance{obs("a", runtime.StateExited, lost)}}
	a := supervisor.Compute(in).Actions[0]
	if a.Kind != supervisor.ActRelaunch || a.Next.ConsecutiveFailures != 0 || !strings.Contains(a.Events[0].Reason, "service restarted") {
		t.Fatalf("%s with %d failures, event %+v; want a relaunch, none counted, the reason given", a.Kind, a.Next.ConsecutiveFailures, a.Events)
	}
}
