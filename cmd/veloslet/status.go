package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/store"
)

func (m *Main) statusCommand() *cobra.Command {
	var asJSON, watchFlag, all bool
	var project, selector string
	cmd := &cobra.Command{
		Use:   "status [UID... | --project NAME | -l SELECTOR | --all]",
		Short: "Show desired against observed state, one row per uid",
		Long: `Show whether a daemon runs (the pid holding the lock, or "no daemon") and how
long ago the last successful pass started, with a warning when that is more
than twice the schedule's interval; then one row per uid: its desired state,
what veloslet last saw of its instance, restarts, age, image and the last
event. HEALTH is what the health probe last found of the running instance:
starting, healthy, unhealthy (FAILURES/RETRIES), or - (no probe). STATE is one of running, exited(CODE), backoff DURATION, crash-loop,
gave-up, stopped, missing (with no daemon: the runtime no longer lists the
recorded instance), foreign (another store's container holds the name: never
touched), pending, orphan (an instance of ours whose spec was deleted,
awaiting removal) or invalid (a spec row veloslet cannot use, written by
hand: skipped, its instance left alone; the reason follows the table). AGE is
how long the instance has been running when it runs, else how long ago the
spec was created. The runtime's last error of a uid that is not running
follows the table. With no daemon running, STATE is what the runtime lists
now, not the last pass's records. Env values are never shown. --watch redraws every second
until interrupted.`,
		Example:           "  veloslet status\n  veloslet status --watch\n  veloslet status web --json",
		ValidArgsFunction: m.completeUIDs,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && (all || project != "" || selector != "") {
				return usagef("status takes UIDs or a selection flag, not both")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.openDBRead(cmd.Context())
			if err != nil {
				return err
			}
			if project != "" || selector != "" {
				sel := selection{project: project, selector: selector}
				uids, err := sel.uids(cmd.Context(), db, nil)
				if err != nil {
					return err
				}
				args = append(args, uids...)
			}
			draw := func(w io.Writer) error { return m.printStatus(cmd.Context(), w, db, args, asJSON) }
			if !watchFlag {
				return draw(cmd.OutOrStdout())
			}
			tick, stop := m.ticker(time.Second)
			defer stop()
			return watch(cmd.Context(), cmd.OutOrStdout(), tick, draw)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVarP(&watchFlag, "watch", "w", false, "redraw every second until interrupted")
	cmd.Flags().StringVar(&project, "project", "", "only the specs of this compose project")
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "only the specs whose labels match (KEY=VALUE, KEY!=VALUE, KEY, !KEY; comma: and)")
	cmd.Flags().BoolVar(&all, "all", false, "every spec (the same as no UID; for scripts that pass it to every verb)")
	cmd.MarkFlagsMutuallyExclusive("project", "selector", "all")
	return cmd
}

// ticker is Main.Ticker, or a real one.
func (m *Main) ticker(d time.Duration) (<-chan time.Time, func()) {
	if m.Ticker != nil {
		return m.Ticker(d)
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func (m *Main) printStatus(ctx context.Context, w io.Writer, db *store.DB, uids []string, asJSON bool) error {
	rows, err := db.FindStatus(ctx, uids...)
	if err != nil {
		return err
	}
	if len(uids) > 0 && len(rows) < len(uids) {
		return fmt.Errorf("%w: no spec or instance for some of %s", store.ErrNotFound, strings.Join(uids, ", "))
	}
	now := db.Now()
	note := ""
	if _, held := daemonPID(m.Config.Store.Path); !held {
		notInFlight(rows)
		note = m.liveView(ctx, db, rows)
	}
	if asJSON {
		return writeStatusJSON(w, rows, now)
	}
	head, err := m.statusHeader(ctx, db, now)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, head)
	if note != "" {
		fmt.Fprintln(w, note)
	}
	for _, warn := range nestedWarnings(m.Config.Runtime.NamePrefix, db.StoreID(), rows) {
		fmt.Fprintln(w, term(warn))
	}
	writeStatusTable(w, rows, now)
	writeFleetState(ctx, w, db)
	return nil
}

// displayState condenses a status row into the STATE column.
func displayState(r *store.StatusRow, now time.Time) string {
	wait := r.NextAttemptAt.Time().Sub(now)
	switch {
	case r.State == store.StateInvalid:
		return "invalid"
	case r.State == string(store.InstanceForeign):
		return "foreign" // never "orphan": veloslet does not remove it
	case r.DesiredState == "deleted":
		return "orphan"
	case r.PullImage != nil:
		return "pulling " + shortDuration(now.Sub(r.PullingSince.Time()))
	case replacing(r):
		return "replacing"
	case r.State == string(store.InstanceGaveUp):
		return "gave-up"
	case r.State == string(store.InstanceExited) && deref(r.RuntimeID, "") == "" && !relaunches(r):
		// An accepted exit whose instance was removed: not run again.
		if r.ExitCode != nil && *r.ExitCode == 0 {
			return "completed"
		}
		return "completed(" + deref(r.ExitCode, "?") + ")"
	case r.State == string(store.InstanceExited) && r.CrashLoop:
		return "crash-loop"
	case (r.State == string(store.InstanceExited) && relaunches(r) || r.State == string(store.InstancePending)) && wait > 0:
		return "backoff " + strings.TrimPrefix(untilText(wait), "in ")
	case r.State == string(store.InstanceExited):
		if r.ExitCode == nil {
			return "exited(?)"
		}
		return fmt.Sprintf("exited(%d)", *r.ExitCode)
	}
	return r.State
}

// healthText is the HEALTH column: the probe state of the running
// instance, "unhealthy (3/3)" with its failures in a row, "-" for none.
func healthText(r *store.StatusRow) string {
	switch {
	case r.Health == nil:
		return "-"
	case *r.Health == "unhealthy" && r.HealthFailures != nil && r.HealthRetries != nil:
		return fmt.Sprintf("unhealthy (%d/%d)", *r.HealthFailures, *r.HealthRetries)
	}
	return *r.Health
}

// notInFlight marks, for a status taken while no daemon runs, the rows
// whose last event says a replacement began: a daemon began it and never
// finished, and with no daemon nothing is in flight (see replacing).
func notInFlight(rows []*store.StatusRow) {
	for _, r := range rows {
		r.Live = r.Live || deref(r.LastEvent, "") == string(store.EventReplacing)
	}
}

// replacing reports whether the daemon is replacing the row's instance: its
// last event says a replacement began, and no outcome followed yet. A row
// laid over by the runtime's list (no daemon: nothing is in flight) is not.
func replacing(r *store.StatusRow) bool {
	return !r.Live && deref(r.LastEvent, "") == string(store.EventReplacing) &&
		(r.State == string(store.InstanceRunning) || r.State == string(store.InstanceUnknown) || r.State == string(store.InstancePending))
}

// relaunches reports whether the restart policy relaunches the row's exit:
// only then is a next attempt a back-off (records written before issue 13
// carry one for every exit).
func relaunches(r *store.StatusRow) bool {
	restart := deref(r.Restart, "")
	return restart == string(store.RestartAlways) ||
		restart == string(store.RestartOnFailure) && (r.ExitCode == nil || *r.ExitCode != 0)
}

// untilText says when a deadline comes: "in 40s", or "due" once it is less
// than a second away or past (the next pass acts on it), never "in 0s".
func untilText(d time.Duration) string {
	if d < time.Second {
		return "due"
	}
	return "in " + shortDuration(d)
}

// shortDuration prints a duration the way kubectl prints ages: 40s, 5m, 3h, 2d.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func age(r *store.StatusRow, now time.Time) string {
	t := r.StartedAt.Time()
	if t.IsZero() || r.State != string(store.InstanceRunning) {
		t = r.SpecCreatedAt.Time()
	}
	if t.IsZero() {
		return "-"
	}
	return shortDuration(now.Sub(t))
}

func deref[T any](p *T, zero string) string {
	if p == nil {
		return zero
	}
	return fmt.Sprint(*p)
}

func writeStatusTable(w io.Writer, rows []*store.StatusRow, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UID\tDESIRED\tSTATE\tHEALTH\tRESTARTS\tAGE\tIMAGE\tLAST EVENT")
	for _, r := range rows {
		last := "-"
		if r.LastEvent != nil {
			last = fmt.Sprintf("%s %s ago", *r.LastEvent, shortDuration(now.Sub(r.LastEventAt.Time())))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", term(r.UID), term(string(r.DesiredState)), term(displayState(r, now)),
			healthText(r), r.RestartCount, age(r, now), term(deref(r.Image, "-")), term(last))
	}
	_ = tw.Flush()
	for _, r := range rows {
		switch {
		case r.InvalidReason != nil:
			fmt.Fprintf(w, "invalid %q: %s\n", r.UID, *r.InvalidReason)
		case r.LastError != "" && r.State != string(store.InstanceRunning):
			// The runtime's own words, which the STATE column has no room for.
			fmt.Fprintf(w, "%s: %s\n", term(r.UID), term(r.LastError))
		}
		if r.State == string(store.InstanceForeign) {
			fmt.Fprintf(w, "foreign %q: not launched by this store: run `veloslet adopt %s` to take it over (add --from-store ID for another store's; its foreign event names the store)\n", r.UID, term(r.UID))
		}
	}
}

// statusJSON is one row of `status --json`, with times as RFC 3339.
type statusJSON struct {
	*store.StatusRow
	Display       string     `json:"display_state"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	StartedAt     *time.Time `json:"started_at"`
	ExitedAt      *time.Time `json:"exited_at"`
	LastEventAt   *time.Time `json:"last_event_at"`
	PullingSince  *time.Time `json:"pulling_since,omitempty"`
}

func timePtr(m store.Millis) *time.Time {
	if m.Time().IsZero() {
		return nil
	}
	t := m.Time()
	return &t
}

func writeStatusJSON(w io.Writer, rows []*store.StatusRow, now time.Time) error {
	out := make([]statusJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, statusJSON{StatusRow: r, Display: displayState(r, now),
			NextAttemptAt: timePtr(r.NextAttemptAt), StartedAt: timePtr(r.StartedAt),
			ExitedAt: timePtr(r.ExitedAt), LastEventAt: timePtr(r.LastEventAt), PullingSince: timePtr(r.PullingSince)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
