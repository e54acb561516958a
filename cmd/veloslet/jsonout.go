package main

import (
	"encoding/json"
	"io"
	"time"

	"github.com/veloslet/veloslet/store"
)

// The --json forms of the verbs that change things. Their field names are
// part of the interface (docs/ops.md lists them): add fields, never rename.

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// specResultJSON is one uid's outcome of apply, delete, stop or start.
type specResultJSON struct {
	UID          string `json:"uid"`
	Outcome      string `json:"outcome"` // created, updated, unchanged, deleted
	Generation   int64  `json:"generation,omitempty"`
	DesiredState string `json:"desired_state,omitempty"`
}

// passJSON is a pass as reconcile and restart print it.
type passJSON struct {
	ID         int64       `json:"id"`
	By         string      `json:"by"` // "the daemon" or "this process"
	Trigger    string      `json:"trigger"`
	StartedAt  time.Time   `json:"started_at"`
	DurationMS int64       `json:"duration_ms"`
	Desired    int         `json:"desired"`
	Observed   int         `json:"observed"`
	Actions    int         `json:"actions"`
	Failures   int         `json:"failures"`
	Error      string      `json:"error"`
	Events     []eventJSON `json:"events"`
}

func newPassJSON(p *store.Pass, by string, evs []*store.Event) passJSON {
	out := passJSON{ID: p.ID, By: by, Trigger: string(p.Trigger), StartedAt: p.StartedAt.Time().UTC(),
		DurationMS: p.FinishedAt.Time().Sub(p.StartedAt.Time()).Milliseconds(), Desired: p.Desired,
		Observed: p.Observed, Actions: p.Actions, Failures: p.Failures, Error: p.Error, Events: []eventJSON{}}
	for _, e := range evs {
		out.Events = append(out.Events, eventJSON{e.ID, e.At.Time(), e.PassID, e.UID, string(e.Kind), e.Generation, e.ExitCode, e.Reason})
	}
	return out
}

// migrationJSON is one row of `migrate status --json`.
type migrationJSON struct {
	Version   int64      `json:"version"`
	Name      string     `json:"name"`
	Applied   bool       `json:"applied"`
	AppliedAt *time.Time `json:"applied_at"`
}
