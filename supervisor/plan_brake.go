package supervisor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
//
// The removals of instances whose spec the fleet deleted (FleetRemoved) are
// held for good: a fleet gone wrong (a bucket emptied, a script deleting
// keys) looks the same an hour later, so time proves nothing. Only an
// operator lets them go: `reconcile --force`, or `fleet resync --confirm`,
// which clears FleetRemoved.
func (p *planner) brake(seen int) {
	n, fleet := 0, 0
	for _, a := range p.out.Actions {
		if a.braked() {
			n++
			if p.fleetCaused(a) {
				fleet++
			}
		}
	}
	pol := p.in.Policy
	if p.in.Force || n <= pol.BrakeMin || float64(n) <= pol.BrakeShare*float64(seen) {
		return
	}
	expired := !p.in.BrakeSince.IsZero() && p.in.Now.Sub(p.in.BrakeSince) >= pol.BrakeHold
	if expired && fleet == 0 {
		return // held long enough: the runtime's view has persisted, believe it
	}
	kept := p.out.Actions[:0]
	for _, a := range p.out.Actions {
		if !a.braked() || (expired && !p.fleetCaused(a)) {
			kept = append(kept, a)
		}
	}
	p.out.Actions = kept
	p.out.BrakeHeld = true
	reason := fmt.Sprintf("would remove or replace %d of %d instances seen (limit: share %.2f and more than %d); holding for up to %s",
		n, seen, pol.BrakeShare, pol.BrakeMin, pol.BrakeHold)
	if fleet > 0 {
		p.out.FleetHeld = fmt.Sprintf("the fleet deleted the specs of %d of them: their removal is held until "+
			"`veloslet reconcile --force` or `veloslet fleet resync --node NODE --confirm` (no expiry)", fleet)
		reason += "; " + p.out.FleetHeld
		if expired {
			reason = fmt.Sprintf("would remove %d of %d instances seen whose specs the fleet deleted (limit: share %.2f and more than %d); "+
				"held until `veloslet reconcile --force` or `veloslet fleet resync --node NODE --confirm` (no expiry)",
				fleet, seen, pol.BrakeShare, pol.BrakeMin)
			p.out.FleetHeld = reason
		}
	}
	p.add(Action{Kind: ActBrake, Reason: reason,
		Events: []store.Event{{Kind: store.EventBrakeHeld, Reason: reason}}})
}

// fleetCaused reports whether a is the removal of an instance whose spec
// the fleet deleted.
func (p *planner) fleetCaused(a Action) bool {
	_, ok := p.in.FleetRemoved[a.UID]
	return a.Kind == ActRemoveOrphan && ok
}

// fleetBrakeHold is the brake's hold of fleet-caused removals as `status`
// and /healthz read it (store.MetaBrakeFleetHold).
type fleetBrakeHold struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// noteFleetBrake keeps the brake's hold of fleet-caused removals in the
// store, where `status` (another process) and /healthz read it, and clears
// it when the hold ends; written only when it changes. While it stands
// unchanged, the brake's action writes no event: a hold with no expiry
// would otherwise add one at every tick until an operator comes.
func (s *Supervisor) noteFleetBrake(ctx context.Context, plan *Plan) {
	v := ""
	if plan.FleetHeld != "" {
		b, _ := json.Marshal(fleetBrakeHold{Since: s.brakeSince.UTC(), Reason: plan.FleetHeld})
		v = string(b)
	}
	if s.fleetBrakeNoted != nil && *s.fleetBrakeNoted == v {
		if v == "" {
			return // no fleet hold: the brake's other holds tell each pass
		}
		for i := range plan.Actions {
			if plan.Actions[i].Kind == ActBrake {
				plan.Actions[i].Events = nil // told when the hold began or changed
			}
		}
		return
	}
	if err := s.DB.SetBrakeFleetHold(ctx, v); err != nil {
		s.logger().Error("record the brake's hold of fleet removals", LogKeyError, err)
		return
	}
	s.fleetBrakeNoted = &v
	if v != "" {
		s.logger().Warn("safety brake holds fleet-caused removals until an operator confirms", "reason", plan.FleetHeld)
	}
}
