package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
)

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
	cmd.AddCommand(exit, m.fakeExecResultCommand(), m.fakeFaultsCommand())
	return cmd
}

func (m *Main) fakeExecResultCommand() *cobra.Command {
	var res fake.ExecResult
	cmd := &cobra.Command{
		Use:   "exec-result UID",
		Short: "Make every exec in a simulated instance (a cmd health probe) answer as told",
		Long: "Until the instance starts again, every exec in it exits with --code and prints " +
			"--output, or with --hang blocks until its timeout, as a frozen process would. " +
			"Every process sharing the state file sees it.",
		Example: "  veloslet fake exec-result web --code 1 --output 'not ready'\n  veloslet fake exec-result web --hang",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("fake exec-result needs exactly one UID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rt, err := m.sharedFake("fake exec-result")
			if err != nil {
				return err
			}
			if err := rt.SetExec(args[0], res); errors.Is(err, runtime.ErrNotFound) {
				return usageError{fmt.Errorf("fake exec-result: no simulated instance for uid %q", args[0])}
			} else if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "execs in %s answer code %d until it starts again\n", args[0], res.Code)
			return nil
		},
	}
	cmd.Flags().IntVar(&res.Code, "code", 0, "exit code of every exec")
	cmd.Flags().StringVar(&res.Output, "output", "", "what every exec prints")
	cmd.Flags().BoolVar(&res.Hang, "hang", false, "block every exec until its timeout")
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
