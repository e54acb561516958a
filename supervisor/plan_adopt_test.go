package supervisor_test

import (
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestAdoptions: what an operator's adopt takes over, refuses (naming why)
// and skips.
func TestAdoptions(t *testing.T) {
	inst := func(uid, storeID string) runtime.Instance {
		labels := map[string]string{}
		if storeID != "" {
			labels[runtime.LabelStore] = storeID
		}
		return runtime.Instance{UID: uid, ID: runtime.InstanceID("id-" + uid), Name: "velos-" + uid, Labels: labels}
	}
	st := &store.State{
		Specs:   []*store.Spec{{UID: "web"}, {UID: "api"}, {UID: "mine"}, {UID: "done"}},
		Adopted: map[string]bool{"id-done": true},
	}
	listed := []runtime.Instance{inst("web", ""), inst("api", "old"), inst("mine", "me"), inst("done", ""), inst("nospec", "")}
	for _, tc := range []struct {
		name, from string
		uids       []string
		adopt      string // uids adopted, comma-separated
		err        string // substring of a usage error
		notes      string // substring of the notes
	}{
		{name: "LabelLess", uids: []string{"web"}, adopt: "web"},
		{name: "OtherStoreNeedsFrom", uids: []string{"web", "api"}, err: "--from-store old"},
		{name: "OtherStoreWithFrom", uids: []string{"api"}, from: "old", adopt: "api"},
		{name: "OtherStoreWrongFrom", uids: []string{"api"}, from: "elsewhere", err: "carries store label old"},
		{name: "NoSpec", uids: []string{"nospec"}, err: "no spec"},
		{name: "NothingListed", uids: []string{"ghost"}, err: "no instance listed"},
		{name: "AlreadyOurs", uids: []string{"mine", "done"}, notes: "already this store's"},
		{name: "All", adopt: "web", notes: "skipped api"},
		{name: "AllFrom", from: "old", adopt: "api,web", notes: "skipped nospec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := supervisor.Adoptions("me", tc.from, tc.uids, st, listed)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err=%v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, a := range p.Adopt {
				got = append(got, a.UID)
				if p.Events[i].Kind != store.EventAdopted || a.RuntimeID != "id-"+a.UID {
					t.Errorf("adoption %+v with event %+v", a, p.Events[i])
				}
			}
			if strings.Join(got, ",") != tc.adopt {
				t.Errorf("adopted %v, want %s", got, tc.adopt)
			}
			if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, tc.notes) {
				t.Errorf("notes %q, want %q", notes, tc.notes)
			}
		})
	}
}
