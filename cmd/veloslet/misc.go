package main

import (
	"encoding/json"
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
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

func (m *Main) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := map[string]string{"version": Version, "go": goruntime.Version(),
				"platform": goruntime.GOOS + "/" + goruntime.GOARCH}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "veloslet %s (%s, %s)\n", v["version"], v["go"], v["platform"])
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (m *Main) fakeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Act on the simulated runtime (backend \"fake\" with a state file): for demos and tests",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var code int
	exit := &cobra.Command{
		Use:     "exit UID",
		Short:   "Make a simulated instance exit, as if its process ended",
		Example: "  veloslet fake exit web --code 137",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("fake exit needs exactly one UID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := m.sharedFake("fake exit")
			if err != nil {
				return err
			}
			if err := rt.SetExited(args[0], code); errors.Is(err, runtime.ErrNotFound) {
				return usageError{fmt.Errorf("fake exit: no simulated instance for uid %q", args[0])}
			} else if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s exited with code %s\n", args[0], strconv.Itoa(code))
			return nil
		},
	}
	exit.Flags().IntVar(&code, "code", 1, "exit code")
	cmd.AddCommand(exit, m.fakeFaultsCommand())
	return cmd
}

func (m *Main) fakeFaultsCommand() *cobra.Command {
	var f fake.Faults
	cmd := &cobra.Command{
		Use:   "faults",
		Short: "Make the simulated runtime fail, hang, print garbage or list nothing at a rate",
		Long: "Every runtime call then faults with probability --rate: it fails, hangs for --hang " +
			"(having taken effect) and fails, prints garbage, or (a list) answers with no containers. " +
			"Every process sharing the state file sees the setting; --rate 0 turns faults off.",
		Example: "  veloslet fake faults --rate 0.3 --hang 2s\n  veloslet fake faults --rate 0",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.Check(); err != nil {
				return usagef("%v", err)
			}
			rt, err := m.sharedFake("fake faults")
			if err != nil {
				return err
			}
			if err := rt.SetFaults(f); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "faults: rate %v, hang %s, seed %d\n", f.Rate, f.Hang, f.Seed)
			return nil
		},
	}
	cmd.Flags().Float64Var(&f.Rate, "rate", 0, "share of runtime calls that fault, 0 to 1")
	cmd.Flags().DurationVar(&f.Hang, "hang", fake.DefaultHang, "how long a hung call blocks before it fails")
	cmd.Flags().Uint64Var(&f.Seed, "seed", 1, "seed of the fault sequence")
	return cmd
}

// sharedFake opens the simulated runtime's state file, which only a fake
// with a state file has; verb names the command in the error.
func (m *Main) sharedFake(verb string) (*fake.Runtime, error) {
	if m.Config.Runtime.Backend != "fake" || m.Config.Runtime.Fake.StateFile == "" {
		return nil, usagef("%s needs runtime.backend = \"fake\" and runtime.fake.state_file in the config", verb)
	}
	return m.openFake()
}
