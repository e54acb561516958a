package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

func (m *Main) logsCommand() *cobra.Command {
	var (
		previous   int
		follow     bool
		tail       int
		asJSON     bool
		since      string
		timestamps bool
		sel        selection
	)
	cmd := &cobra.Command{
		Use:   "logs UID|-l SELECTOR|--project NAME|--all [--previous [N]] [--follow] [--tail N] [--since D] [--timestamps]",
		Short: "Print an instance's output, or what was kept of an earlier exit",
		Long: `Print the output of uid's instance as the runtime keeps it (podman logs,
container logs). With --previous, print instead what veloslet kept of the
instance that exited last before being relaunched or replaced (--previous 2:
the one before, and so on): the runtime's copy is gone with the instance, the
database keeps the last [logs] tail_lines lines, env values replaced by
"[env NAME]". Control characters are escaped; --json (with --previous) prints
the kept log and its facts as one object.

--since (a duration back from now, or an RFC 3339 time) leaves out older
output and --timestamps starts each line with the time the runtime stamped
it, on podman and docker; Apple's container CLI offers -n and --follow only,
so there both flags are refused.

With --selector, --project or --all, the output of every spec selected is
printed, each line led by its uid as docker compose does: one uid after
another, or with --follow all at once until interrupted.`,
		Example: `  veloslet logs web --tail 50
  veloslet logs web --follow
  veloslet logs web --since 10m --timestamps
  veloslet logs web --previous
  veloslet logs web --previous 2 --json
  veloslet logs -l team=web --since 5m --follow`,
		ValidArgsFunction: m.completeUIDs,
		Args: func(cmd *cobra.Command, args []string) error {
			uids := args
			// `--previous 2` reads as --previous with 2 as an argument.
			if n := len(args); cmd.Flags().Changed("previous") && previous == 1 && (n == 2 || n == 1 && sel.used()) {
				c, err := strconv.Atoi(args[n-1])
				if err != nil || c < 1 {
					return usagef("logs takes one uid or a selection flag; --previous takes a count from 1, got %q", args[n-1])
				}
				previous, uids = c, args[:n-1]
			}
			if err := sel.checkArgs(cmd, uids); err != nil {
				return err
			}
			if !sel.used() && len(uids) != 1 {
				return usagef("logs takes exactly one uid (several: --selector, --project or --all), got %d arguments", len(uids))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case tail < 0:
				return usagef("--tail %d: must not be negative", tail)
			case previous < 0:
				return usagef("--previous %d: must be 1 or more", previous)
			case cmd.Flags().Changed("previous") && follow:
				return usagef("--follow cannot go with --previous: that instance is gone")
			case asJSON && !cmd.Flags().Changed("previous"):
				return usagef("--json goes with --previous; live output is printed as it comes")
			case cmd.Flags().Changed("previous") && (since != "" || timestamps):
				return usagef("--since and --timestamps cannot go with --previous: the kept lines carry no times")
			case asJSON && sel.used():
				return usagef("--json prints the kept log of one uid; it cannot go with a selection flag")
			}
			opts := runtime.LogOptions{Tail: tail, Follow: follow, Timestamps: timestamps}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				opts.Since = t
			}
			if sel.used() {
				db, err := m.openDBRead(cmd.Context())
				if err != nil {
					return err
				}
				uids, err := sel.uids(cmd.Context(), db, nil)
				if err != nil {
					return err
				}
				n := 0 // live output
				if cmd.Flags().Changed("previous") {
					n = max(previous, 1)
				}
				return m.manyLogs(cmd.Context(), cmd.OutOrStdout(), uids, opts, n)
			}
			if cmd.Flags().Changed("previous") {
				return m.previousLogs(cmd.Context(), cmd.OutOrStdout(), args[0], max(previous, 1), tail, asJSON)
			}
			return m.liveLogs(cmd.Context(), cmd.OutOrStdout(), args[0], opts)
		},
	}
	cmd.Flags().IntVarP(&previous, "previous", "p", 0, "print the kept output of the Nth-last exit (default 1)")
	cmd.Flags().Lookup("previous").NoOptDefVal = "1"
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new output until interrupted")
	cmd.Flags().IntVar(&tail, "tail", 0, "only the last N lines; 0 for all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "with --previous: print one JSON object")
	cmd.Flags().StringVar(&since, "since", "", "only output newer than a duration back (10m) or an RFC 3339 time")
	cmd.Flags().BoolVarP(&timestamps, "timestamps", "t", false, "start each line with the time the runtime stamped it")
	cmd.Flags().StringVar(&sel.project, "project", "", "print the output of every spec of this compose project")
	sel.addFlags(cmd, "print the output of")
	return cmd
}

// crashLogJSON is `logs --previous --json`: the kept log and its facts.
type crashLogJSON struct {
	*store.CrashLog
	ExitedAt time.Time `json:"exited_at"`
	KeptAt   time.Time `json:"kept_at"`
}

func (m *Main) previousLogs(ctx context.Context, w io.Writer, uid string, n, tail int, asJSON bool) error {
	db, err := m.openDBRead(ctx)
	if err != nil {
		return err
	}
	logs, err := db.FindCrashLogs(ctx, uid, n)
	if err != nil {
		return err
	}
	if len(logs) < n {
		return fmt.Errorf("%w: %s has %d kept logs of exited instances, asked for the %s", store.ErrNotFound, uid, len(logs), ordinal(n))
	}
	l := logs[n-1]
	if tail > 0 {
		l.Text = lastLines(l.Text, tail)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(crashLogJSON{CrashLog: l, ExitedAt: l.ExitedAt.Time().UTC(), KeptAt: l.At.Time().UTC()})
	}
	tw := &termWriter{w: w}
	if _, err := io.WriteString(tw, l.Text); err != nil {
		return err
	}
	return tw.Flush()
}

func ordinal(n int) string {
	if n == 1 {
		return "last"
	}
	return fmt.Sprintf("%d. last", n)
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines[max(0, len(lines)-n):], "")
}

// liveLogs prints the runtime's output of uid's instance: the one the
// records name, else the one under uid's runtime name. While a replacement
// is in flight the records still name the old instance, which is read as
// long as the runtime keeps it; once it is gone the new one under the name
// is read, and between the two the error says so instead of a bare "not
// found".
func (m *Main) liveLogs(ctx context.Context, w io.Writer, uid string, opts runtime.LogOptions) error {
	r, err := m.openLogReader(ctx, opts)
	if err != nil {
		return err
	}
	return r.read(ctx, w, uid, opts)
}

// read prints the output of uid's instance to w.
func (r *logReader) read(ctx context.Context, w io.Writer, uid string, opts runtime.LogOptions) error {
	byName := runtime.InstanceID(runtime.Name(r.prefix, uid))
	ids, replacing := []runtime.InstanceID{byName}, false
	if r.db != nil {
		if rows, err := r.db.FindStatus(ctx, uid); err == nil && len(rows) == 1 {
			if id := deref(rows[0].RuntimeID, ""); id != "" && id != string(byName) {
				ids = []runtime.InstanceID{runtime.InstanceID(id), byName}
			}
			replacing = deref(rows[0].LastEvent, "") == string(store.EventReplacing)
		}
	}
	var err error
	tw := &termWriter{w: w}
	for _, id := range ids {
		// A missing instance fails before anything is written, so the
		// next id starts on a clean slate.
		if err = r.lg.Logs(ctx, id, opts, tw); !errors.Is(err, runtime.ErrNotFound) {
			break
		}
	}
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	switch {
	case errors.Is(err, runtime.ErrNotFound) && replacing:
		return fmt.Errorf("%s is being replaced: the old instance is gone and the new one is not running yet; try again in a moment (`veloslet logs %s --previous` prints what was kept of an earlier exit)", uid, uid)
	case errors.Is(err, runtime.ErrNotFound):
		return fmt.Errorf("no instance of %s in the runtime (%v); `veloslet logs %s --previous` prints what was kept of the last exit", uid, err, uid)
	case ctx.Err() != nil && opts.Follow:
		return nil // interrupted: the normal end of --follow
	case err != nil && replacing:
		return fmt.Errorf("%s is being replaced: %w", uid, err)
	}
	return err
}

// termWriter escapes each line with term on its way to w, so output
// carrying ESC sequences cannot repaint the operator's terminal. It is
// safe for concurrent writes (a CLI's stdout and stderr).
type termWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
}

func (t *termWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(t.w, term(string(t.partial[:i]))+"\n"); err != nil {
			return 0, err
		}
		t.partial = t.partial[i+1:]
	}
}

// Flush writes a last line that had no line break.
func (t *termWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.partial) == 0 {
		return nil
	}
	_, err := io.WriteString(t.w, term(string(t.partial))+"\n")
	t.partial = nil
	return err
}
