package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
)

// describeLogLines is how much of the last kept log describe shows: the
// rest of one screen after the spec, the record and ten events.
const describeLogLines = 15

func (m *Main) describeCommand() *cobra.Command {
	var asJSON bool
	var sel selection
	cmd := &cobra.Command{
		Use:   "describe UID... | --project NAME | -l SELECTOR | --all",
		Short: "Show one uid on one screen: spec, record, state, events, last exit's output",
		Long: `Show everything veloslet knows of one uid, as systemctl status does for a unit:
its spec (env names only, never values), the record of its instance, the
state and why, the next attempt, the last 10 events, and the last lines
kept of its latest exit (all of them: veloslet logs UID --previous).

Several uids, or a selection (--selector, --project, --all), are described
one after another, a blank line between; --json then prints a JSON array.`,
		Example:           "  veloslet describe web\n  veloslet describe web --json\n  veloslet describe -l team=web",
		ValidArgsFunction: m.completeUIDs,
		Args:              sel.checkArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			uids := args
			if sel.used() {
				db, err := m.openDBRead(cmd.Context())
				if err != nil {
					return err
				}
				if uids, err = sel.uids(cmd.Context(), db, nil); err != nil {
					return err
				}
			}
			var ds []*description
			live := &listing{}
			for _, uid := range uids {
				d, err := m.describe(cmd, uid, live)
				if err != nil {
					return err
				}
				ds = append(ds, d)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if len(args) == 1 {
					return enc.Encode(ds[0]) // one object, as ever, for one uid named
				}
				return enc.Encode(ds)
			}
			for i, d := range ds {
				if i > 0 {
					fmt.Fprintln(w)
				}
				d.write(w)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (several uids or a selection: an array)")
	cmd.Flags().StringVar(&sel.project, "project", "", "describe every spec of this compose project")
	sel.addFlags(cmd, "describe")
	return cmd
}

// description is what describe shows; its JSON is `describe --json`.
type description struct {
	UID     string         `json:"uid"`
	Spec    *describedSpec `json:"spec"` // null once deleted
	Status  *statusJSON    `json:"status"`
	Events  []eventJSON    `json:"events"`
	LastLog *crashLogJSON  `json:"last_log"`
	// Health is the uid's probe state and its newest probe, when it has one.
	Health *store.Health `json:"health,omitempty"`
	Fleet  string        `json:"fleet,omitempty"` // the node's link to the fleet, when serve runs one
	// ExitCodes, when set, says the runtime reports no exit codes.
	ExitCodes string `json:"exit_codes,omitempty"`
	// PassError is the newest pass's error, when it failed (such as
	// "container service down since …; starting it").
	PassError string `json:"pass_error,omitempty"`
	// Live, with no daemon, says the state is what the runtime lists now
	// where that differs from the last pass's record (as status does).
	Live     string `json:"live,omitempty"`
	now      time.Time
	rawEvent []*store.Event
}

// describedSpec is a spec with its env values left out.
type describedSpec struct {
	*store.Spec
	Env     any      `json:"env,omitempty"` // hides the embedded map
	EnvKeys []string `json:"env_keys"`
}

// describe gathers what describe shows of uid; with no daemon its state is
// laid over live, the runtime's listing shared by the uids of one call.
func (m *Main) describe(cmd *cobra.Command, uid string, live *listing) (*description, error) {
	ctx := cmd.Context()
	db, err := m.openDBRead(ctx)
	if err != nil {
		return nil, err
	}
	d := &description{UID: uid, now: db.Now(), Events: []eventJSON{}}
	spec, err := db.FindSpecByUID(ctx, uid)
	switch {
	case err == nil:
		keys := slices.Sorted(maps.Keys(spec.Env))
		d.Spec = &describedSpec{Spec: spec, EnvKeys: append([]string{}, keys...)}
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	rows, err := db.FindStatus(ctx, uid)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no spec or instance %q", store.ErrNotFound, uid)
	}
	r := rows[0]
	if _, held := daemonPID(m.Config.Store.Path); !held {
		notInFlight(rows)
		d.Live = m.liveViewFrom(ctx, db, rows, live)
	}
	d.Status = &statusJSON{StatusRow: r, Display: displayState(r, d.now), NextAttemptAt: timePtr(r.NextAttemptAt),
		StartedAt: timePtr(r.StartedAt), ExitedAt: timePtr(r.ExitedAt), LastEventAt: timePtr(r.LastEventAt)}
	if d.rawEvent, err = db.FindEvents(ctx, store.EventFilter{UID: uid, Limit: 10}); err != nil {
		return nil, err
	}
	for _, e := range d.rawEvent {
		d.Events = append(d.Events, eventJSON{e.ID, e.At.Time(), e.PassID, e.UID, string(e.Kind), e.Generation, e.ExitCode, e.Reason})
	}
	if last, err := db.LastPass(ctx); err == nil && last.Error != "" {
		d.PassError = fmt.Sprintf("last pass %d failed: %s", last.ID, last.Error)
	}
	if v, err := db.Meta(ctx, metaExitCodes); err == nil && v == "unreported" {
		d.ExitCodes = "exit codes are not reported by this runtime: every exit counts as a failure"
		if d.Spec != nil && d.Spec.Restart == store.RestartOnFailure {
			d.ExitCodes += `, so restart "on-failure" relaunches as "always" does`
		}
	}
	if st, ok, err := fleet.ReadState(ctx, db); err == nil && ok {
		d.Fleet = fleet.FormatState(st)
	}
	if hs, err := db.FindHealth(ctx); err == nil {
		for i := range hs {
			if hs[i].UID == uid {
				d.Health = &hs[i]
			}
		}
	}
	logs, err := db.FindCrashLogs(ctx, uid, 1)
	if err != nil {
		return nil, err
	}
	if len(logs) == 1 {
		l := logs[0]
		d.LastLog = &crashLogJSON{CrashLog: l, ExitedAt: l.ExitedAt.Time().UTC(), KeptAt: l.At.Time().UTC()}
	}
	return d, nil
}

func (d *description) write(w io.Writer) {
	r := d.Status.StatusRow
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-10s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "%s — %s\n", term(d.UID), term(d.Status.Display))
	if d.Live != "" {
		fmt.Fprintln(w, term(d.Live))
	}
	if d.Fleet != "" {
		fmt.Fprintln(w, d.Fleet)
	}
	if s := d.Spec; s != nil {
		restart := string(s.Restart)
		if s.RestartMaxAttempts > 0 {
			// The spec's own restart_max_attempts, in place of [restart] max_attempts.
			restart += fmt.Sprintf(" (gives up after %d relaunches in a row)", s.RestartMaxAttempts)
		}
		line("spec", "image %s, restart %s, desired %s, generation %d", term(s.Image), restart, s.DesiredState, s.Generation)
		if len(s.Command) > 0 {
			b, _ := json.Marshal(s.Command)
			line("command", "%s", term(string(b)))
		}
		if len(s.EnvKeys) > 0 {
			line("env", "%s (values hidden)", term(strings.Join(s.EnvKeys, ", ")))
		}
		if len(s.Labels) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(s.Labels)) {
				kv = append(kv, k+"="+s.Labels[k])
			}
			line("labels", "%s", term(strings.Join(kv, ", ")))
		}
		if s.CPUs > 0 || s.Memory > 0 {
			line("limits", "cpus %g, memory %d bytes", s.CPUs, s.Memory)
		}
		for _, l := range launchLines(s.Container) {
			line(l[0], "%s", term(l[1]))
		}
	} else {
		line("spec", "none (deleted; the instance awaits removal)")
	}
	inst := "none recorded"
	if r.RuntimeID != nil && *r.RuntimeID != "" {
		inst = fmt.Sprintf("%s, %s", term(*r.RuntimeID), r.State)
		if t := r.StartedAt.Time(); !t.IsZero() {
			inst += fmt.Sprintf(", started %s (%s ago)", t.Local().Format("2006-01-02 15:04:05"), shortDuration(d.now.Sub(t)))
		}
		if r.ExitCode != nil {
			inst += fmt.Sprintf(", exit code %d", *r.ExitCode)
		}
	}
	line("instance", "%s", inst)
	line("restarts", "%d (%s in a row)", r.RestartCount, plural(r.ConsecutiveFailures, "failure"))
	if s := d.Spec; s != nil && s.Health != nil {
		hc := s.Health.WithDefaults()
		target := hc.HTTP + hc.TCP
		if hc.Kind() == "cmd" {
			b, _ := json.Marshal(hc.Cmd)
			target = string(b)
		}
		line("probe", "%s %s every %s, timeout %s, %d retries, start period %s, on failure %s", hc.Kind(), term(target),
			time.Duration(hc.Interval), time.Duration(hc.Timeout), hc.Retries, time.Duration(hc.StartPeriod), hc.OnFailure)
	}
	if h := d.Health; h != nil {
		state := h.State
		if h.State == "unhealthy" {
			state = fmt.Sprintf("unhealthy (%d/%d)", h.Failures, h.Retries)
		}
		result := "failed"
		if h.LastOK {
			result = "passed"
		}
		last := "no probe yet"
		if t := h.LastAt.Time(); !t.IsZero() {
			last = fmt.Sprintf("%s %s ago in %dms: %s", result, shortDuration(d.now.Sub(t)), h.LastMillis, h.LastOutput)
		}
		line("health", "%s (instance %s); last probe %s", state, term(h.RuntimeID), term(last))
	}
	if d.ExitCodes != "" {
		line("exits", "%s", d.ExitCodes)
	}
	if d.PassError != "" {
		line("pass", "%s", term(d.PassError))
	}
	switch {
	case r.InvalidReason != nil:
		line("reason", "%s", term(*r.InvalidReason))
	case r.LastError != "":
		line("error", "%s", term(r.LastError))
	}
	if t := r.NextAttemptAt.Time(); !t.IsZero() {
		line("next", "%s (%s)", t.Local().Format("2006-01-02 15:04:05"), untilText(t.Sub(d.now)))
	}
	fmt.Fprintln(w, "events:")
	p := eventPrinter{w: &indent{w: w}}
	if len(d.rawEvent) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		p.printEvents(d.rawEvent)
	}
	if l := d.LastLog; l != nil {
		fmt.Fprintf(w, "last exit: instance %s, exit code %s, %s; %s kept (last %d below; all: veloslet logs %s --previous)\n",
			term(l.RuntimeID), deref(l.ExitCode, "unknown"), l.ExitedAt.Local().Format("2006-01-02 15:04:05"),
			plural(l.Lines, "line"), min(l.Lines, describeLogLines), term(d.UID))
		tw := &termWriter{w: &indent{w: w}}
		_, _ = io.WriteString(tw, lastLines(l.Text, describeLogLines))
		_ = tw.Flush()
	}
}

// indent writes every line it is given two spaces in.
type indent struct {
	w     io.Writer
	begun bool
}

func (in *indent) Write(p []byte) (int, error) {
	var b strings.Builder
	for _, c := range string(p) {
		if !in.begun {
			b.WriteString("  ")
			in.begun = true
		}
		b.WriteRune(c)
		if c == '\n' {
			in.begun = false
		}
	}
	_, err := io.WriteString(in.w, b.String())
	return len(p), err
}
