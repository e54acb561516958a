package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (m *Main) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply the database schema migrations",
		Long: `Show (status) or apply (up) the schema migrations. Every verb that opens the
database applies pending migrations first, so "up" is for doing it on purpose,
for instance right after installing a new veloslet.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var asJSON bool
	status := &cobra.Command{
		Use: "status", Short: "List migrations and whether each is applied", Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.migrateStatus(cmd, true, asJSON) },
	}
	up := &cobra.Command{
		Use: "up", Short: "Apply every pending migration (creating the database if needed)", Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.migrateStatus(cmd, false, asJSON) },
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	up.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.AddCommand(status, up)
	return cmd
}

func (m *Main) migrateStatus(cmd *cobra.Command, mustExist, asJSON bool) error {
	db, err := m.openDB(cmd.Context(), mustExist)
	if err != nil {
		return err
	}
	st, err := db.MigrationStatus(cmd.Context())
	if err != nil {
		return err
	}
	if asJSON {
		out := []migrationJSON{}
		for _, s := range st {
			j := migrationJSON{Version: s.Version, Name: s.Name, Applied: s.Applied}
			if s.Applied {
				t := s.AppliedAt.UTC()
				j.AppliedAt = &t
			}
			out = append(out, j)
		}
		return writeJSON(cmd.OutOrStdout(), out)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, s := range st {
		applied := "pending"
		if s.Applied {
			applied = s.AppliedAt.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", s.Version, s.Name, applied)
	}
	return tw.Flush()
}
