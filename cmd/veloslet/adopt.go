package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// adoptCommand takes over foreign instances on purpose. A container's labels
// cannot change while it lives, so the adoption is recorded in the store by
// runtime id (table adoptions); the planner treats that id as ours, and the
// instance's next relaunch launches with this store's labels.
func (m *Main) adoptCommand() *cobra.Command {
	var all bool
	var from string
	cmd := &cobra.Command{
		Use:   "adopt UID... | --all [--from-store ID]",
		Short: "Take over foreign instances: label-less ones, or another store's with --from-store",
		Long: `Take over instances under this name prefix that this store did not launch:
ones without a store label (made by hand, or by the earlier Velos worker) and,
with --from-store ID, those labelled with store ID (a lost or replaced
database). Only instances of uids with a spec are adopted: one without a spec
would be removed as an orphan by the next pass.`,
		Example: "  veloslet adopt web\n  veloslet adopt --all\n  veloslet adopt --all --from-store 3f9c2a61b0d4e8f7",
		Args: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usagef("adopt needs UIDs or --all, not both")
			}
			if from != "" && !validStoreID(from) {
				return usagef("--from-store %q: not a store id (letters and digits, as the velos.store label shows)", from)
			}
			return nil
		},
		ValidArgsFunction: m.completeUIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.adopt(cmd.Context(), cmd.OutOrStdout(), args, from)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "adopt every foreign instance of a uid with a spec")
	cmd.Flags().StringVar(&from, "from-store", "", "also adopt instances labelled with this store id")
	return cmd
}

func validStoreID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// adopt adopts the foreign instances of uids (every one when uids is empty).
func (m *Main) adopt(ctx context.Context, w io.Writer, uids []string, from string) error {
	db, err := m.openDB(ctx, true)
	if err != nil {
		return err
	}
	rt, _, err := m.openRuntime(db.StoreID())
	if err != nil {
		return err
	}
	st, err := db.ReadState(ctx)
	if err != nil {
		return err
	}
	listed, err := rt.List(ctx)
	if err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	plan, err := adoptions(db.StoreID(), from, uids, st, listed)
	if err != nil {
		return err
	}
	for _, line := range plan.notes {
		fmt.Fprintln(w, line)
	}
	if len(plan.adopt) == 0 {
		if len(uids) == 0 {
			fmt.Fprintln(w, "nothing to adopt")
		}
		return nil
	}
	if err := db.RecordOutcome(ctx, store.Outcome{Adopt: plan.adopt, Events: plan.events}); err != nil {
		return fmt.Errorf("record adoption: %w", err)
	}
	for _, ev := range plan.events {
		fmt.Fprintf(w, "adopted %s: %s\n", term(ev.UID), term(ev.Reason))
	}
	return nil
}

type adoptPlan struct {
	adopt  []store.Adoption
	events []store.Event
	notes  []string
}

// adoptions decides what to adopt: a pure function of the store's state and
// the runtime's list. A uid named on the command line that cannot be adopted
// is an error naming why; with --all such uids are noted and skipped.
func adoptions(storeID, from string, uids []string, st *store.State, listed []runtime.Instance) (adoptPlan, error) {
	var p adoptPlan
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
	slices.Sort(uids)
	for _, uid := range slices.Compact(uids) {
		in, why := adoptable(storeID, from, uid, byUID[uid], st.Adopted)
		if why == "" && in != nil && !desired[uid] {
			why = fmt.Sprintf("%s: no spec: apply one first (an adopted instance without a spec is an orphan, and the next pass removes it)", uid)
		}
		switch {
		case why == "" && in != nil:
			reason := fmt.Sprintf("instance %s (%s, store label %s) taken over by an operator", in.ID, in.Name, orNone(in.StoreID()))
			p.adopt = append(p.adopt, store.Adoption{RuntimeID: string(in.ID), UID: uid, FromStore: in.StoreID()})
			p.events = append(p.events, store.Event{UID: uid, Kind: store.EventAdopted, Reason: reason})
		case why == "" && explicit:
			p.notes = append(p.notes, uid+": already this store's")
		case why == "":
		case explicit:
			return p, usagef("adopt %s", why)
		case in != nil:
			p.notes = append(p.notes, "skipped "+why)
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
