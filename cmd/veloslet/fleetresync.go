package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// fleetResyncCommand ends a node's hold: the node mirrors the specs bucket
// as it is, deleting the fleet specs it holds no key for.
func (m *Main) fleetResyncCommand() *cobra.Command {
	var node string
	var confirm bool
	cmd := &cobra.Command{
		Use:   "resync --node NODE --confirm",
		Short: "Let a held node mirror the specs bucket as it is now, deletions included",
		Long: `A node stops mirroring, keeping every spec and instance, when the specs
bucket is missing, is another bucket than the one it mirrored, or a catch-up
would delete more than brake_share of its fleet specs. It keeps (and goes on
mirroring the rest) the fleet specs whose key is gone with no delete marker,
and its safety brake holds, with no expiry, the removal of instances whose
spec the fleet deleted when they are more than brake_share (docs/fleet.md).
Without --confirm, resync shows what the node reports and what the bucket
holds for it; with --confirm, it writes the confirmation the node waits for:
the node then runs exactly the specs the bucket holds for it, and its brake
lets the fleet's removals go.`,
		Example: "  veloslet fleet resync --node mini-7\n  veloslet fleet resync --node mini-7 --confirm",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNode(node); err != nil {
				return err
			}
			c, err := m.fleetClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			out := cmd.OutOrStdout()
			nodes, err := c.Status(cmd.Context(), node)
			if err != nil {
				return err
			}
			switch {
			case len(nodes) == 0:
				fmt.Fprintf(out, "node %s has not reported\n", node)
			case nodes[0].Hold == nil:
				fmt.Fprintf(out, "node %s reports no hold (last report %s)\n", node,
					nodes[0].ReportedAt.UTC().Format(time.RFC3339))
			default:
				fmt.Fprintf(out, "node %s: %s\n", node, term(nodes[0].Hold.Line(node)))
			}
			if len(nodes) > 0 && nodes[0].Brake != "" {
				fmt.Fprintf(out, "node %s: %s\n", node, term(nodes[0].Brake))
			}
			keys, err := c.CountKeys(cmd.Context(), node)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "bucket %s holds %d keys for %s: the node will run exactly these, deleting its other fleet specs\n",
				c.Config.SpecsBucket, keys, node)
			if !confirm {
				return usagef("add --confirm to resync %s", node)
			}
			res, err := c.Resync(cmd.Context(), node)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "confirmed: key %s (revision %d) for the bucket created %s\n", res.Key, res.Revision,
				res.BucketCreated.UTC().Format(time.RFC3339Nano))
			return nil
		},
	}
	nodeFlag(cmd, &node, true)
	cmd.Flags().BoolVar(&confirm, "confirm", false, "write the confirmation the node waits for")
	return cmd
}
