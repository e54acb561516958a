package supervisor_test

import (
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// renamed puts an instance under another name, as the label listing shows it.
func renamed(name string) obsOpt {
	return func(in *runtime.Instance) { in.Name, in.Renamed = name, true }
}
func id(s string) obsOpt { return func(in *runtime.Instance) { in.ID = runtime.InstanceID(s) } }

func TestCompute_Ownership(t *testing.T) {
	pol := supervisor.DefaultPolicy()
	five := func(opts ...obsOpt) (specs []*store.Spec, observed []runtime.Instance, recs []*store.Instance) {
		for _, uid := range []string{"a", "b", "c", "d", "e"} {
			specs = append(specs, spec(uid))
			observed = append(observed, obs(uid, runtime.StateRunning, append(opts, renamed("old-"+uid))...))
			recs = append(recs, rec(uid, store.InstanceRunning))
		}
		return
	}
	prefSpecs, prefObs, prefRecs := five()
	for _, tc := range []struct {
		name      string
		in        supervisor.PlanInput
		want      []want
		removedID []string // ids a remove-duplicate removes
		renamed   bool     // the first action's Observed is Renamed
		adopt     string   // the first action records this adoption
		foreign   int
	}{
		{name: "PrefixChangeIsARename", // every instance kept where it stands: nothing to do
			in: supervisor.PlanInput{Specs: prefSpecs, Observed: prefObs, Records: prefRecs}},
		{name: "RenamedUnknownIsAdopted",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventResumed}}}},
		{name: "DuplicateBesideOwnName", // the one under its own name is kept; nothing else this pass
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(2, "h2"))}, Observed: []runtime.Instance{
				obs("a", runtime.StateRunning, renamed("x"), id("old")), obs("a", runtime.StateRunning, id("new"))}},
			want: []want{{kind: supervisor.ActRemoveDuplicate, uid: "a", reason: "new (velos-a)"}}, removedID: []string{"old"}},
		{name: "TwoRenamedKeepsTheRecorded",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning, func(r *store.Instance) { r.RuntimeID = "r2" })},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"), id("r1")), obs("a", runtime.StateRunning, renamed("y"), id("r2"))}},
			want: []want{{kind: supervisor.ActRemoveDuplicate, uid: "a", reason: "r2 (y)"}}, removedID: []string{"r1"}},
		{name: "TwoRenamedKeepsTheMatching",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(2, "h2"))},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"), id("r1")), obs("a", runtime.StateRunning, renamed("y"), id("r2"), labels("2", "h2"))}},
			want: []want{{kind: supervisor.ActRemoveDuplicate, uid: "a", reason: "r2 (y)"}}, removedID: []string{"r1"}},
		{name: "RenamedDriftedIsReplacedByID",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(2, "h2"))}, Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"))}},
			want: []want{{kind: supervisor.ActReplace, uid: "a"}}, renamed: true},
		{name: "RenamedExitedIsRelaunchedByID",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Records: []*store.Instance{rec("a", store.InstanceRunning)},
				Observed: []runtime.Instance{obs("a", runtime.StateExited, renamed("x"), exit(intp(1)))}},
			want: []want{{kind: supervisor.ActRelaunch, uid: "a"}}, renamed: true},
		{name: "RenamedOrphanIsRemovedByID",
			in:   supervisor.PlanInput{Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"))}},
			want: []want{{kind: supervisor.ActRemoveOrphan, uid: "a"}}, renamed: true},
		{name: "RenamedStoppedIsRemoved",
			in:   supervisor.PlanInput{Specs: []*store.Spec{spec("a", stopped)}, Observed: []runtime.Instance{obs("a", runtime.StateRunning, renamed("x"))}},
			want: []want{{kind: supervisor.ActStop, uid: "a", reason: "old name x"}}, renamed: true},
		{name: "LabelLessIsForeignWithHint",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, FirstPass: true,
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""), labels("", ""))}},
			want:    []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}, reason: "run `veloslet adopt a`"}},
			foreign: 1},
		{name: "OtherStoreIsForeignWithHint",
			in:      supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_("them"))}},
			want:    []want{{kind: supervisor.ActRecord, uid: "a", reason: "veloslet adopt a --from-store them"}},
			foreign: 1},
		{name: "AdoptUnlabeledAtStartUp",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, FirstPass: true, AdoptUnlabeled: true,
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""), labels("", ""))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventAdopted}, reason: "adopt_unlabeled"},
				{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{}}},
			adopt: "id-a"},
		{name: "AdoptUnlabeledOnlyAtStartUp",
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a")}, AdoptUnlabeled: true,
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""), labels("", ""))}},
			want:    []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}}},
			foreign: 1},
		{name: "AdoptUnlabeledNeedsASpec",
			in: supervisor.PlanInput{FirstPass: true, AdoptUnlabeled: true,
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""), labels("", ""))}},
			want:    []want{{kind: supervisor.ActRecord, uid: "a", events: []store.EventKind{store.EventForeign}}},
			foreign: 1},
		{name: "AdoptedIDIsOurs", // another store's labels: its generation and hash are not judged
			in: supervisor.PlanInput{Specs: []*store.Spec{spec("a", gen(4, "h4"))}, Adopted: map[string]bool{"id-a": true},
				Records:  []*store.Instance{rec("a", store.InstanceForeign, func(r *store.Instance) { r.Generation, r.SpecHash = 0, "" })},
				Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_("them"), labels("9", "theirs"))}},
			want: []want{{kind: supervisor.ActRecord, uid: "a", reason: "record running"}}},
		{name: "AdoptedOrphanIsRemoved",
			in:   supervisor.PlanInput{Adopted: map[string]bool{"id-a": true}, Observed: []runtime.Instance{obs("a", runtime.StateRunning, store_(""))}},
			want: []want{{kind: supervisor.ActRemoveOrphan, uid: "a"}}},
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
				var kinds []store.EventKind
				for _, e := range a.Events {
					kinds = append(kinds, e.Kind)
				}
				if w.events != nil && strings.Join(toStrings(kinds), ",") != strings.Join(toStrings(w.events), ",") {
					t.Errorf("action %d events=%v, want %v", i, kinds, w.events)
				}
			}
			if tc.removedID != nil {
				var ids []string
				for _, d := range got.Actions[0].Duplicates {
					ids = append(ids, string(d.ID))
				}
				if strings.Join(ids, ",") != strings.Join(tc.removedID, ",") {
					t.Errorf("duplicates removed=%v, want %v", ids, tc.removedID)
				}
			}
			if tc.renamed && (got.Actions[0].Observed == nil || !got.Actions[0].Observed.Renamed) {
				t.Errorf("action %s does not carry the renamed instance: it would be removed by name", got.Actions[0].Kind)
			}
			if tc.adopt != "" && (len(got.Actions[0].Adopt) != 1 || got.Actions[0].Adopt[0].RuntimeID != tc.adopt) {
				t.Errorf("adoptions=%+v, want %s", got.Actions[0].Adopt, tc.adopt)
			}
			if got.Foreign != tc.foreign {
				t.Errorf("Foreign=%d, want %d", got.Foreign, tc.foreign)
			}
			if tc.in.Adopted == nil && len(in.Adopted) != 0 {
				t.Errorf("the plan changed its input's adoptions: %v", in.Adopted)
			}
		})
	}
}
