package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
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

// adopt adopts the foreign instances of uids (every one when uids is empty):
// supervisor.Adoptions decides, this prints and records.
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
	plan, err := supervisor.Adoptions(db.StoreID(), from, uids, st, listed)
	if err != nil {
		return usagef("adopt %v", err)
	}
	for _, line := range plan.Notes {
		fmt.Fprintln(w, line)
	}
	if len(plan.Adopt) == 0 {
		if len(uids) == 0 {
			fmt.Fprintln(w, "nothing to adopt")
		}
		return nil
	}
	if err := db.RecordOutcome(ctx, store.Outcome{Adopt: plan.Adopt, Events: plan.Events}); err != nil {
		return fmt.Errorf("record adoption: %w", err)
	}
	for _, ev := range plan.Events {
		fmt.Fprintf(w, "adopted %s: %s\n", term(ev.UID), term(ev.Reason))
	}
	return nil
}
