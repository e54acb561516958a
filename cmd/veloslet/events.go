package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/store"
)

// followInterval is how often `events --follow` looks for new rows.
const followInterval = 500 * time.Millisecond

func (m *Main) eventsCommand() *cobra.Command {
	var (
		uid    string
		since  time.Duration
		limit  int
		follow bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the history of decisions and outcomes",
		Example: `  veloslet events --uid web --since 1h
  veloslet events --follow --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since < 0 || limit < 0 {
				return usagef("--since and --limit must not be negative")
			}
			db, err := m.openDBRead(cmd.Context())
			if err != nil {
				return err
			}
			f := store.EventFilter{UID: uid, Limit: limit}
			if since > 0 {
				f.Since = db.Now().Add(-since)
			}
			p := eventPrinter{w: cmd.OutOrStdout(), json: asJSON}
			last, err := p.print(cmd.Context(), db, f)
			if err != nil || !follow {
				return err
			}
			if last == 0 { // nothing matched yet: follow from the newest event, not from the first
				if newest, err := db.FindEvents(cmd.Context(), store.EventFilter{Limit: 1}); err != nil {
					return err
				} else if len(newest) > 0 {
					last = newest[len(newest)-1].ID
				}
			}
			return p.follow(cmd.Context(), db, store.EventFilter{UID: uid, AfterID: last})
		},
	}
	cmd.Flags().StringVar(&uid, "uid", "", "only events of this uid")
	cmd.Flags().DurationVar(&since, "since", 0, "only events newer than this, e.g. 1h")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many (the newest); 0 for all")
	cmd.Flags().BoolVarP(&follow, "follow", "F", false, "keep printing new events until interrupted")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per line")
	_ = cmd.RegisterFlagCompletionFunc("uid", m.completeUIDs)
	return cmd
}

type eventPrinter struct {
	w      io.Writer
	json   bool
	header bool
}

type eventJSON struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	PassID     *int64    `json:"pass_id"`
	UID        string    `json:"uid"`
	Kind       string    `json:"kind"`
	Generation int64     `json:"generation,omitempty"`
	ExitCode   *int      `json:"exit_code"`
	Reason     string    `json:"reason"`
}

// print writes the events f selects and returns the last id written (or f.AfterID).
func (p *eventPrinter) print(ctx context.Context, db *store.DB, f store.EventFilter) (int64, error) {
	evs, err := db.FindEvents(ctx, f)
	if err != nil {
		return f.AfterID, err
	}
	last := f.AfterID
	if p.json {
		enc := json.NewEncoder(p.w)
		for _, e := range evs {
			if err := enc.Encode(eventJSON{e.ID, e.At.Time(), e.PassID, e.UID, string(e.Kind), e.Generation, e.ExitCode, e.Reason}); err != nil {
				return last, err
			}
			last = e.ID
		}
		return last, nil
	}
	if l := p.printEvents(evs); l != 0 {
		last = l
	}
	return last, nil
}

// printEvents writes evs as a table (with its header the first time) and
// returns the last id written.
func (p *eventPrinter) printEvents(evs []*store.Event) int64 {
	var last int64
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	if !p.header {
		fmt.Fprintln(tw, "TIME\tUID\tKIND\tGEN\tEXIT\tREASON")
		p.header = true
	}
	for _, e := range evs {
		gen := "-"
		if e.Generation != 0 {
			gen = fmt.Sprint(e.Generation)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Time().Local().Format("2006-01-02 15:04:05"),
			term(orDash(e.UID)), term(string(e.Kind)), gen, deref(e.ExitCode, "-"), term(e.Reason))
		last = e.ID
	}
	_ = tw.Flush()
	return last
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// follow polls for new events until ctx ends (Ctrl-C).
func (p *eventPrinter) follow(ctx context.Context, db *store.DB, f store.EventFilter) error {
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		last, err := p.print(ctx, db, f)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		f.AfterID = last
	}
}
