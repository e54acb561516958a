package supervisor

import (
	"fmt"
	"maps"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Ownership. An instance is ours when it carries this store's velos.store
// label or when the store recorded its runtime id as adopted. The runtime
// lists ours under any name, so an instance of ours found under a name other
// than "<prefix><uid>" (Renamed: the prefix changed, or someone renamed it)
// is still ours, and a uid can be listed more than once. Each uid keeps one
// instance, never gets a second launch:
//   - the instance under the uid's own name is kept; failing that the one on
//     record; failing that a running one that matches the spec; the rest of
//     ours are duplicates, removed by runtime id (before anything else is
//     planned for the uid, which waits for the next pass);
//   - the kept instance, if Renamed, is planned like any other: running and
//     matching the spec it is adopted where it stands (a prefix change is a
//     rename, not a relaunch); anything that would remove it (a relaunch, a
//     replacement, an orphan's removal, a stop) removes it by id, and a
//     relaunch launches under the new name with this store's labels.
// A Renamed instance is stopped by removing it: the seam stops by name only,
// and a later start launches it under the new name.

// ours reports whether the store owns obs: by label or by a recorded adoption.
func (p *planner) ours(obs *runtime.Instance) bool {
	return obs.StoreID() == p.in.StoreID || p.in.Adopted[string(obs.ID)] || p.adopting[string(obs.ID)]
}

// choose picks the instance uid keeps among those listed for it and plans
// the removal of the other ones of ours. It returns the instance to plan
// with (nil if none) and whether planning the uid must wait for the
// duplicates to go.
func (p *planner) choose(uid string, spec *store.Spec, rec *store.Instance, listed []*runtime.Instance) (*runtime.Instance, bool) {
	var mine []*runtime.Instance
	var other *runtime.Instance
	for _, in := range listed {
		if p.ours(in) {
			mine = append(mine, adoptedView(p.in.StoreID, in))
		} else if other == nil {
			other = in
		}
	}
	if len(mine) == 0 {
		return other, false
	}
	if other != nil {
		p.out.Foreign++ // another store's instance holds the name; ours lives elsewhere
	}
	keep := pickKept(spec, rec, mine)
	var dups []runtime.Instance
	for _, in := range mine {
		if in != keep {
			dups = append(dups, *in)
		}
	}
	if len(dups) == 0 {
		return keep, false
	}
	next := carry(rec, spec)
	next.UID = uid
	p.add(Action{Kind: ActRemoveDuplicate, UID: uid, Observed: keep, Duplicates: dups, Next: next,
		Reason: fmt.Sprintf("%d more instance(s) of %s besides %s (%s): removing them", len(dups), uid, keep.ID, keep.Name)})
	return keep, true
}

// duplicateEvents are the events of a remove-duplicate action that succeeded.
func duplicateEvents(a *Action) []store.Event {
	events := make([]store.Event, 0, len(a.Duplicates))
	for _, d := range a.Duplicates {
		events = append(events, store.Event{UID: a.UID, Kind: a.row().event, Generation: d.Generation(),
			Reason: fmt.Sprintf("duplicate: instance %s (%s) was a second instance of %s; %s (%s) is kept",
				d.ID, d.Name, a.UID, a.Observed.ID, a.Observed.Name)})
	}
	return events
}

// adoptedView returns in as the planner judges it: an adopted instance's
// generation and hash labels are another store's (or none), which say
// nothing about our spec, so drift is judged by our record alone.
func adoptedView(storeID string, in *runtime.Instance) *runtime.Instance {
	if in.StoreID() == storeID {
		return in
	}
	v := *in
	v.Labels = maps.Clone(in.Labels)
	delete(v.Labels, runtime.LabelGeneration)
	delete(v.Labels, runtime.LabelSpecHash)
	return &v
}

// pickKept returns the instance a uid keeps among several of ours.
func pickKept(spec *store.Spec, rec *store.Instance, mine []*runtime.Instance) *runtime.Instance {
	for _, in := range mine {
		if !in.Renamed {
			return in // the runtime refuses a second one under this name
		}
	}
	for _, in := range mine {
		if rec != nil && rec.RuntimeID == string(in.ID) {
			return in
		}
	}
	for _, in := range mine {
		if in.State == runtime.StateRunning && (spec == nil || !drifted(spec, rec, in)) {
			return in
		}
	}
	return mine[0]
}

// stopRenamed plans the stop of a Renamed running instance: it is removed by id.
func (p *planner) stopRenamed(spec *store.Spec, rec *store.Instance, obs *runtime.Instance) {
	p.add(Action{Kind: ActStop, UID: spec.UID, Spec: spec, Observed: obs, Next: carry(rec, spec),
		Reason: fmt.Sprintf("desired state is stopped; instance %s runs under the old name %s, so it is removed (a start launches it under the new name)", obs.ID, obs.Name)})
}

// adoptUnlabeled plans, on a start-up pass with adopt_unlabeled set, the
// adoption of a label-less instance of a desired uid: reports whether it did.
func (p *planner) adoptUnlabeled(spec *store.Spec, obs *runtime.Instance) bool {
	if !p.in.AdoptUnlabeled || !p.in.FirstPass || spec == nil || obs.StoreID() != "" || obs.Renamed {
		return false
	}
	reason := fmt.Sprintf("instance %s (%s) carries no store label: adopted (runtime.adopt_unlabeled)", obs.ID, obs.Name)
	p.add(Action{Kind: ActRecord, UID: spec.UID, Observed: obs, Reason: reason,
		Adopt:  []store.Adoption{{RuntimeID: string(obs.ID), UID: spec.UID}},
		Events: []store.Event{{UID: spec.UID, Kind: store.EventAdopted, Reason: reason}}})
	if p.adopting == nil {
		p.adopting = map[string]bool{} // not in.Adopted: the caller's map stays as it was
	}
	p.adopting[string(obs.ID)] = true
	return true
}

// adoptHint says how an operator takes over a foreign instance.
func adoptHint(uid, owner string) string {
	if owner == "" {
		return fmt.Sprintf("run `veloslet adopt %s` to take it over", uid)
	}
	return fmt.Sprintf("run `veloslet adopt %s --from-store %s` to take it over", uid, owner)
}
