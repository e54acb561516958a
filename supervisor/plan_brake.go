package supervisor

import (
	"fmt"

	"github.com/veloslet/veloslet/store"
)

// The brake counts the actions whose row says braked: those that destroy a
// live or drifted instance (replace, remove-orphan). Launches, relaunches of
// exited or vanished instances, stops and starts destroy nothing and are
// never braked: after a host reboot everything is listed exited and must
// come back at once.

// brake drops every destructive action (orphan removals, replacements of
// drifted instances) from the plan when there are more than BrakeMin of them
// and more than BrakeShare of the instances seen, unless the condition has
// held for BrakeHold already or an operator forced the pass. Everything else
// in the plan goes ahead: a suspect picture must not keep what is missing or
// exited from coming back.
func (p *planner) brake(seen int) {
	n := 0
	for _, a := range p.out.Actions {
		if a.braked() {
			n++
		}
	}
	pol := p.in.Policy
	if p.in.Force || n <= pol.BrakeMin || float64(n) <= pol.BrakeShare*float64(seen) {
		return
	}
	if !p.in.BrakeSince.IsZero() && p.in.Now.Sub(p.in.BrakeSince) >= pol.BrakeHold {
		return // held long enough: the runtime's view has persisted, believe it
	}
	kept := p.out.Actions[:0]
	for _, a := range p.out.Actions {
		if !a.braked() {
			kept = append(kept, a)
		}
	}
	p.out.Actions = kept
	p.out.BrakeHeld = true
	reason := fmt.Sprintf("would remove or replace %d of %d instances seen (limit: share %.2f and more than %d); holding for up to %s",
		n, seen, pol.BrakeShare, pol.BrakeMin, pol.BrakeHold)
	p.add(Action{Kind: ActBrake, Reason: reason,
		Events: []store.Event{{Kind: store.EventBrakeHeld, Reason: reason}}})
}
