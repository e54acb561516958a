package supervisortest

import (
	"context"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// reopen crashes the supervisor and starts a new one over a backend that
// lists this store's instances by label, with a new name prefix or not.
func (e *env) reopen(newPrefix bool) {
	e.t.Helper()
	if e.h.Reopen == nil {
		e.t.Skip("the harness cannot reopen the host")
	}
	storeID := e.db.StoreID()
	e.crash()
	e.host = e.h.Reopen(e.t, storeID, newPrefix)
	e.start()
}

// noLaunch fails if evs launched anything.
func noLaunch(t *testing.T, evs []*store.Event) {
	t.Helper()
	for _, k := range kinds(evs, "") {
		if k == store.EventLaunched || k == store.EventRelaunched || k == store.EventReplaced {
			t.Fatalf("pass did %s: %v", k, kinds(evs, ""))
		}
	}
}

// 10. A changed name prefix is a rename, not a relaunch: every instance is
// found by its store label under the old name and kept; none gets a second
// instance. A later replacement removes the old-named one by id and
// launches under the new prefix; a deleted spec's old-named one is removed.
func testPrefixChange(t *testing.T, e *env) {
	uids := []string{"a", "b", "c", "d", "e"} // more than the brake's minimum
	e.apply(e.specs(uids...)...)
	e.pass()
	before := e.list()
	e.reopen(true)
	noLaunch(t, e.pass())
	noLaunch(t, e.pass())
	after := e.list() // fails on a second instance of any uid
	for _, uid := range uids {
		in, ok := after[uid]
		if !ok || !sameID(in.ID, before[uid].ID) || !in.Renamed || in.State != runtime.StateRunning {
			t.Fatalf("%s after the prefix change: %+v (ok=%v), want instance %s kept, running", uid, in, ok, before[uid].ID)
		}
	}
	changed := e.specs("a")[0]
	changed.Env = map[string]string{"VERSION": "2"}
	e.apply(changed)
	if err := e.db.DeleteSpecs(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	evs := e.pass()
	if !has(evs, "a", store.EventReplaced) || !has(evs, "b", store.EventRemovedOrphan) {
		t.Fatalf("events=%v, want a replaced and b removed", kinds(evs, ""))
	}
	e.pass()
	list := e.list()
	if a, ok := list["a"]; !ok || a.Renamed || sameID(a.ID, before["a"].ID) || a.Generation() != 2 {
		t.Fatalf("a after its replacement: %+v, want a new instance under the new prefix", a)
	}
	if _, ok := list["b"]; ok {
		t.Fatal("b's old-named instance was not removed")
	}
	if len(list) != 4 {
		t.Fatalf("listed %v, want a, c, d, e", list)
	}
}

// 11. A renamed instance of ours is adopted where it stands when it is its
// uid's only one; one renamed beside an instance under the uid's own name
// is removed as a duplicate. Either way one instance per uid.
func testRenamed(t *testing.T, e *env) {
	if e.h.Rename == nil {
		t.Skip("the runtime cannot rename a container")
	}
	e.reopen(false)
	e.apply(e.specs("a", "c")...)
	e.pass()
	before := e.list()
	for _, uid := range []string{"a", "c"} {
		e.h.Rename(t, before[uid].ID, "ren-"+before[uid].Name)
	}
	// c was relaunched under its name by a veloslet that listed by name only.
	spec := e.h.Spec("c")
	spec.Image, spec.Command, spec.StoreID = e.h.Image, e.h.Command, e.db.StoreID()
	spec.Env, spec.Labels, spec.Generation, spec.SpecHash = nil, nil, 1, e.spec("c").SpecHash
	if _, err := e.h.Runtime.Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	evs := e.pass()
	noLaunch(t, evs)
	if !has(evs, "c", store.EventRemovedOrphan) {
		t.Fatalf("events=%v, want c's duplicate removed", kinds(evs, ""))
	}
	noLaunch(t, e.pass())
	list := e.list() // fails on a second instance of any uid
	if a := list["a"]; !sameID(a.ID, before["a"].ID) || !a.Renamed {
		t.Fatalf("a=%+v, want instance %s kept under its new name", a, before["a"].ID)
	}
	if c, ok := list["c"]; !ok || c.Renamed || sameID(c.ID, before["c"].ID) {
		t.Fatalf("c=%+v, want the instance under its own name kept", c)
	}
	if r := e.record("a"); r == nil || !sameID(runtime.InstanceID(r.RuntimeID), before["a"].ID) {
		t.Fatalf("a's record %+v, want instance %s", r, before["a"].ID)
	}
}

// spec returns the stored spec of uid.
func (e *env) spec(uid string) *store.Spec {
	e.t.Helper()
	st, err := e.db.ReadState(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range st.Specs {
		if s.UID == uid {
			return s
		}
	}
	e.t.Fatalf("no spec %s", uid)
	return nil
}
