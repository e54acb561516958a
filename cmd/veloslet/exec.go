package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
)

// commandExit is the non-zero exit of a command run by `exec`: veloslet
// exits with the same code, as `docker exec` and `kubectl exec` do.
type commandExit struct{ code int }

func (e commandExit) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.code)
}

func (m *Main) execCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "exec UID -- COMMAND [ARG...]",
		Short: "Run a command inside uid's running instance",
		Long: `Run COMMAND (no shell: pass "sh", "-c", "…" for one) inside the running
instance of UID through the runtime (podman exec, the Engine API's exec,
container exec), print its output and exit with its exit code. --timeout
bounds it: a command that hangs is cut off.`,
		Example:           "  veloslet exec web -- cat /etc/hostname\n  veloslet exec db -- sh -c 'pg_isready -U app'",
		ValidArgsFunction: m.completeUIDs,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || cmd.ArgsLenAtDash() != 1 {
				return usagef("exec needs a uid, then -- and the command: veloslet exec UID -- COMMAND [ARG...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.exec(cmd, args[0], args[1:], timeout)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "cut the command off after this long")
	return cmd
}

func (m *Main) exec(cmd *cobra.Command, uid string, argv []string, timeout time.Duration) error {
	db, err := m.openDBRead(cmd.Context())
	if err != nil {
		return err
	}
	rt, _, err := m.openRuntime(db.StoreID())
	if err != nil {
		return err
	}
	ex, ok := rt.(runtime.Execer)
	if !ok {
		return fmt.Errorf("exec: the %s runtime cannot run a command in an instance", m.Config.Runtime.Backend)
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	code, err := ex.Exec(ctx, uid, argv, cmd.OutOrStdout())
	switch {
	case errors.Is(err, runtime.ErrNotFound), errors.Is(err, runtime.ErrNotRunning):
		return usagef("exec %s: %v (see veloslet status %s)", uid, err, uid)
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("exec %s: cut off after %s: %w", uid, timeout, err)
	case err != nil:
		return fmt.Errorf("exec %s: %w", uid, err)
	case code != 0:
		return commandExit{code}
	}
	return nil
}
