package supervisor

import (
	"errors"
	"fmt"
	"slices"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Adoption on an operator's word (`veloslet adopt`), beside ownership
// (plan_owned.go): an instance becomes ours by a recorded adoption of its
// runtime id, since a container's labels cannot change while it lives.

// AdoptPlan is what an operator's adopt records: the adoptions with their
// events, and notes on the uids skipped.
type AdoptPlan struct {
	Adopt  []store.Adoption
	Events []store.Event
	Notes  []string
}

// Adoptions decides what to adopt: a pure function of the store's state and
// the runtime's list. Label-less instances are adopted, and those labelled
// with store from when it is set; only uids with a spec (one without would
// be removed as an orphan by the next pass). uids empty means every listed
// uid: those that cannot be adopted are noted and skipped. The only error
// is a uid named in uids that cannot be adopted; it says why.
func Adoptions(storeID, from string, uids []string, st *store.State, listed []runtime.Instance) (AdoptPlan, error) {
	var p AdoptPlan
	desired := map[string]bool{}
	for _, s := range st.Specs {
		desired[s.UID] = true
	}
	byUID := map[string][]runtime.Instance{}
	for _, in := range listed {
		byUID[in.UID] = append(byUID[in.UID], in)
	}
	explicit := len(uids) > 0
	if !explicit {
		for uid := range byUID {
			uids = append(uids, uid)
		}
	}
	uids = slices.Clone(uids)
	slices.Sort(uids)
	for _, uid := range slices.Compact(uids) {
		in, why := adoptable(storeID, from, uid, byUID[uid], st.Adopted)
		if why == "" && in != nil && !desired[uid] {
			why = fmt.Sprintf("%s: no spec: apply one first (an adopted instance without a spec is an orphan, and the next pass removes it)", uid)
		}
		switch {
		case why == "" && in != nil:
			reason := fmt.Sprintf("instance %s (%s, store label %s) taken over by an operator", in.ID, in.Name, orNone(in.StoreID()))
			p.Adopt = append(p.Adopt, store.Adoption{RuntimeID: string(in.ID), UID: uid, FromStore: in.StoreID()})
			p.Events = append(p.Events, store.Event{UID: uid, Kind: store.EventAdopted, Reason: reason})
		case why == "" && explicit:
			p.Notes = append(p.Notes, uid+": already this store's")
		case why == "":
		case explicit:
			return p, errors.New(why)
		case in != nil:
			p.Notes = append(p.Notes, "skipped "+why)
		}
	}
	return p, nil
}

// adoptable returns uid's foreign instance that may be adopted, or why not
// ("" and a nil instance: nothing to do).
func adoptable(storeID, from, uid string, listed []runtime.Instance, adopted map[string]bool) (*runtime.Instance, string) {
	if len(listed) == 0 {
		return nil, fmt.Sprintf("%s: no instance listed under this name prefix", uid)
	}
	var foreign *runtime.Instance
	for i := range listed {
		in := &listed[i]
		if in.StoreID() != storeID && !adopted[string(in.ID)] {
			foreign = in
		}
	}
	switch {
	case foreign == nil:
		return nil, "" // ours already
	case foreign.StoreID() == "" || foreign.StoreID() == from:
		return foreign, ""
	}
	return foreign, fmt.Sprintf("%s: instance %s carries store label %s: pass --from-store %s to take it over",
		uid, foreign.ID, foreign.StoreID(), foreign.StoreID())
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
