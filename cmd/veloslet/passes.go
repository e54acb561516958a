package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/internal/boottime"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// newSupervisor builds the supervisor over db and rt with the config's
// policy, concurrency and log capture, logging to log: the one place a
// supervisor is built, for serve and for a one-off pass or plan alike.
func (m *Main) newSupervisor(db *store.DB, rt runtime.Runtime, log *slog.Logger) *supervisor.Supervisor {
	sup := supervisor.New(db, rt)
	sup.Policy, sup.Concurrency, sup.Logger = m.Config.Policy(), m.Config.Reconcile.Concurrency, log
	sup.LogCapture = m.Config.LogCapture()
	sup.BootTime = boottime.Read // a reboot's exits are no failures
	return sup
}

// openSupervisor opens the database and runtime and builds a supervisor
// over them for a one-off pass or plan in this process; a plan only reads.
func (m *Main) openSupervisor(ctx context.Context, readOnly bool) (*supervisor.Supervisor, error) {
	open := func(ctx context.Context) (*store.DB, error) { return m.openDB(ctx, true) }
	if readOnly {
		open = m.openDBRead
	}
	db, err := open(ctx)
	if err != nil {
		return nil, err
	}
	rt, _, err := m.openRuntime(db.StoreID())
	if err != nil {
		return nil, err
	}
	// A one-off pass prints its outcome; its log carries only warnings, and
	// not those printPass prints (its failed actions and its error).
	lc := m.Config.Log
	if lc.Level == "debug" || lc.Level == "info" {
		lc.Level = "warn"
	}
	return m.newSupervisor(db, rt, slog.New(dropPassEcho{newLogger(m.Stderr, lc).Handler()})), nil
}

func (m *Main) planCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print what the next pass would do, without doing it",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sup, err := m.openSupervisor(cmd.Context(), true)
			if err != nil {
				return err
			}
			plan, err := sup.Plan(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if plan.Actions == nil {
					plan.Actions = []supervisor.Action{}
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(plan)
			}
			writePlan(cmd.OutOrStdout(), plan)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writePlan(w io.Writer, plan supervisor.Plan) {
	if len(plan.Actions) == 0 {
		fmt.Fprintln(w, "nothing to do")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTION\tUID\tREASON")
		for _, a := range plan.Actions {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", term(string(a.Kind)), term(orDash(a.UID)), term(a.Reason))
		}
		_ = tw.Flush()
	}
	for _, v := range plan.Invalid {
		fmt.Fprintf(w, "skip invalid %q: %s\n", v.UID, v.Reason)
	}
	if !plan.NextWake.IsZero() {
		fmt.Fprintf(w, "next back-off deadline: %s\n", plan.NextWake.Local().Format(time.RFC3339))
	}
}

func (m *Main) reconcileCommand() *cobra.Command {
	var force bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Run a pass now: through the daemon if one runs, else in this process",
		Long: `Ask the running daemon for a pass (through the database) and wait for it to
finish, or, when no daemon holds the database, run one pass in this process.
Prints the pass and the events it wrote. --force ignores the safety brake; it
exits 1 if the brake held all the same. Requests that reach the daemon within
one watch interval are served by one pass, forced if any of them asked.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.reconcile(cmd, force, timeout) },
	}
	cmd.Flags().BoolVar(&force, "force", false, "ignore the safety brake for this pass")
	cmd.Flags().BoolVar(&m.passJSON, "json", false, "print the pass and its events as JSON")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the daemon's pass")
	return cmd
}

// reconcile runs a pass through the daemon if one holds the lock, else here.
func (m *Main) reconcile(cmd *cobra.Command, force bool, timeout time.Duration) error {
	held, err := lockHeld(m.Config.Store.Path)
	if err != nil {
		return err
	}
	if held {
		return m.reconcileViaDaemon(cmd, force, timeout)
	}
	return m.reconcileHere(cmd, force)
}

func (m *Main) reconcileHere(cmd *cobra.Command, force bool) error {
	// A first reconcile on a new path makes the database's folder, as
	// serve and apply do, before it takes the lock that lives there.
	if err := os.MkdirAll(filepath.Dir(m.Config.Store.Path), 0o700); err != nil {
		return fmt.Errorf("create database folder: %w", err)
	}
	lock, err := acquireLock(m.Config.Store.Path) // keep a daemon from starting mid-pass
	if err != nil {
		return err
	}
	defer func() { _ = errors.Join(m.Close(), lock.release()) }()
	if err := lock.holdFile(); err != nil {
		return err
	}
	sup, err := m.openSupervisor(cmd.Context(), false)
	if err != nil {
		return err
	}
	res, perr := sup.Pass(cmd.Context(), supervisor.PassOptions{Trigger: store.TriggerManual, Force: force})
	if res == nil {
		return perr
	}
	pass, err := sup.DB.FindPassByID(cmd.Context(), res.ID)
	if err != nil {
		return errors.Join(perr, err)
	}
	if pass.Error != "" {
		perr = nil // printPass returns the pass's recorded error: the same words once
	}
	return errors.Join(perr, m.printPass(cmd, sup.DB, pass, "this process"), forceHeld(cmd.Context(), sup.DB, pass, force))
}

// forceHeld fails a --force pass in which the safety brake still held
// removals back: what the operator asked for did not happen, and a script
// must not read exit 0 as done.
func forceHeld(ctx context.Context, db *store.DB, p *store.Pass, force bool) error {
	if !force {
		return nil
	}
	evs, err := db.FindEvents(ctx, store.EventFilter{PassID: p.ID, Kind: store.EventBrakeHeld})
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		return fmt.Errorf("pass %d ran without --force's effect: the safety brake held removals back: %s", p.ID, evs[0].Reason)
	}
	return nil
}

func (m *Main) reconcileViaDaemon(cmd *cobra.Command, force bool, timeout time.Duration) error {
	ctx := cmd.Context()
	db, err := m.openDB(ctx, true)
	if err != nil {
		return err
	}
	req, err := db.RequestPass(ctx, force)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		pass, err := db.FindPassByRequest(ctx, req.ID) // this request's own pass, exactly
		if err == nil && !pass.FinishedAt.Time().IsZero() {
			return errors.Join(m.printPass(cmd, db, pass, "the daemon"), forceHeld(ctx, db, pass, force))
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the daemon did not finish a pass for request %d within %s", req.ID, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling the daemon's progress
		}
	}
}

func (m *Main) printPass(cmd *cobra.Command, db *store.DB, p *store.Pass, where string) error {
	w := cmd.OutOrStdout()
	evs, err := db.FindEvents(cmd.Context(), store.EventFilter{PassID: p.ID})
	if err != nil {
		return err
	}
	if m.passJSON {
		if err := writeJSON(w, newPassJSON(p, where, evs)); err != nil {
			return err
		}
	} else {
		dur := p.FinishedAt.Time().Sub(p.StartedAt.Time())
		switch {
		case p.Error != "" && p.Actions == 0:
			// Its counts were never taken (the runtime's list failed, say):
			// "0 desired, 0 failed" would read as a pass that had nothing to do.
			fmt.Fprintf(w, "pass %d by %s failed after %s, before any action\n", p.ID, where, dur)
		case p.Error != "":
			fmt.Fprintf(w, "pass %d by %s failed: %d desired, %d observed, %s, %d failed, %s\n",
				p.ID, where, p.Desired, p.Observed, plural(p.Actions, "action"), p.Failures, dur)
		default:
			fmt.Fprintf(w, "pass %d by %s: %d desired, %d observed, %s, %d failed, %s\n",
				p.ID, where, p.Desired, p.Observed, plural(p.Actions, "action"), p.Failures, dur)
		}
		for _, e := range evs {
			if e.Kind == store.EventReplacing {
				continue // said for status while in flight; the outcome's line follows
			}
			fmt.Fprintf(w, "  %s %s: %s\n", term(orDash(e.UID)), term(string(e.Kind)), term(e.Reason))
		}
	}
	if p.Error != "" {
		// "1 of 2 actions failed, first launch of b: …" repeats a line just
		// printed; the count alone says the rest.
		if head, _, ok := strings.Cut(p.Error, ", first "); ok && p.Failures > 0 && !m.passJSON && strings.HasSuffix(head, " actions failed") && !strings.Contains(p.Error, "\n") {
			return fmt.Errorf("pass %d: %s (each listed above)", p.ID, head)
		}
		return fmt.Errorf("pass %d: %s", p.ID, p.Error)
	}
	return nil
}

// plural counts n of a thing in English: "1 action", "2 actions".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
