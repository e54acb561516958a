package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (m *Main) restartCommand() *cobra.Command {
	var timeout time.Duration
	var sel selection
	cmd := &cobra.Command{
		Use:   "restart UID... | --project NAME | -l SELECTOR | --all",
		Short: "Replace running instances now, as an operator's action",
		Long: `Replace each uid's running instance with a new one from its spec, now. It is
recorded as an operator's action (a replaced event saying so), not as a crash:
no failure and no restart are counted, back-off is untouched, and the safety
brake does not hold it back. The request is written to the database
(restart_requests) and answered by the next pass: the daemon's, which this
command asks for and waits for, or one run here when no daemon runs.

A finished instance whose exit the restart policy accepted (restart = "never",
or "on-failure" with exit code 0) is run again too, whether it is still listed
or was removed by hand (status shows such a one "completed": the daemon does
not launch it again by itself). Any other instance that is not running is left
as it is, and the command fails naming it.`,
		Example:           "  veloslet restart web\n  veloslet restart web worker-1\n  veloslet restart -l team=web",
		Args:              sel.checkArgs,
		ValidArgsFunction: m.completeUIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			if args, err = sel.uids(cmd.Context(), db, args); err != nil {
				return err
			}
			at, err := db.RequestRestart(cmd.Context(), args...)
			if err != nil {
				return err
			}
			if !m.passJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "restart of %s requested at %s\n", strings.Join(args, ", "), at.Local().Format("15:04:05"))
			}
			return m.reconcile(cmd, false, timeout)
		},
	}
	cmd.Flags().BoolVar(&m.passJSON, "json", false, "print the pass that answered and its events as JSON")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the daemon's pass")
	cmd.Flags().StringVar(&sel.project, "project", "", "restart every spec of this compose project")
	sel.addFlags(cmd, "restart")
	return cmd
}
