package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/fleet"
)

// The fleet's reading verbs: status and events.

func (m *Main) fleetStatusCommand() *cobra.Command {
	var node string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--node NODE] [--json]",
		Short: "Show every node's status rows and when each node last reported",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.fleetReader(cmd.Context(), node)
			if err != nil {
				return err
			}
			defer c.Close()
			nodes, err := c.Status(cmd.Context(), node)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), nodes)
			}
			writeFleetStatus(cmd.OutOrStdout(), nodes, time.Now())
			return nil
		},
	}
	nodeFlag(cmd, &node, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeFleetStatus(w io.Writer, nodes []*fleet.NodeStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tUID\tDESIRED\tSTATE\tGEN\tRESTARTS\tLAST EVENT")
	for _, n := range nodes {
		for _, r := range n.Rows {
			state := r.State
			if r.CrashLoop {
				state = "crash-loop"
			}
			gen := "-"
			if r.Generation > 0 {
				gen = fmt.Sprintf("%d/%d", r.RunningGeneration, r.Generation)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", term(n.Node), term(r.UID), term(orDash(r.Desired)),
				term(state), gen, r.Restarts, term(orDash(r.LastEvent)))
		}
	}
	_ = tw.Flush()
	for _, n := range nodes {
		fmt.Fprintf(w, "node %s: last report %s (%s ago), %d rows\n", term(n.Node),
			n.ReportedAt.UTC().Format("2006-01-02 15:04:05Z"), shortDuration(now.Sub(n.ReportedAt)), len(n.Rows))
		if n.Hold != nil {
			fmt.Fprintf(w, "node %s: %s\n", term(n.Node), term(n.Hold.Line(n.Node)))
		}
		if n.Brake != "" {
			fmt.Fprintf(w, "node %s: %s\n", term(n.Node), term(n.Brake))
		}
		for _, r := range n.Rows {
			if r.Refused != "" {
				fmt.Fprintf(w, "refused %s.%s: %s\n", term(n.Node), term(r.UID), term(r.Refused))
			}
		}
	}
}

func (m *Main) fleetEventsCommand() *cobra.Command {
	var node string
	var follow bool
	cmd := &cobra.Command{
		Use:   "events [--node NODE] [--follow]",
		Short: "Print the events stream, oldest first; --follow waits for new ones",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.fleetReader(cmd.Context(), node)
			if err != nil {
				return err
			}
			defer c.Close()
			out := cmd.OutOrStdout()
			return c.Events(cmd.Context(), node, follow, func(e fleet.Event) error {
				line := fmt.Sprintf("%s  %s  %s  %s", e.At, e.Node, orDash(e.UID), e.Kind)
				if e.Generation > 0 {
					line += fmt.Sprintf("  gen %d", e.Generation)
				}
				if e.ExitCode != nil {
					line += fmt.Sprintf("  exit %d", *e.ExitCode)
				}
				if e.Reason != "" {
					line += "  " + strings.ReplaceAll(e.Reason, "\n", " ")
				}
				_, err := fmt.Fprintln(out, term(line))
				return err
			})
		},
	}
	nodeFlag(cmd, &node, false)
	cmd.Flags().BoolVarP(&follow, "follow", "F", false, "wait for new events until interrupted")
	return cmd
}
