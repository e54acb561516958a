package main

import (
	"context"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// StateMissing is the STATE of a uid whose recorded instance the runtime no
// longer lists, seen while no daemon runs.
const StateMissing = "missing"

// liveView lays what the runtime lists now over the records, for a status
// taken while no daemon runs: the records are the last pass's view, and
// after a reboot or a `podman kill` they still say running. It returns a
// note for the header when a row differs, or when the runtime could not be
// read (the rows then stay as recorded).
func (m *Main) liveView(ctx context.Context, db *store.DB, rows []*store.StatusRow) string {
	return m.liveViewFrom(ctx, db, rows, &listing{})
}

// listing is one answer of the runtime's List, taken at its first use:
// describe of several uids reads the runtime once, not once per uid.
type listing struct {
	done   bool
	listed []runtime.Instance
	err    error
}

func (m *Main) liveViewFrom(ctx context.Context, db *store.DB, rows []*store.StatusRow, l *listing) string {
	if c := m.Config.Runtime; m.Runtime == nil && c.Backend == "fake" && c.Fake.StateFile == "" {
		return "STATE is the last pass's view (the simulated runtime has no state file to read)"
	}
	if !l.done {
		rt, _, err := m.openRuntime(db.StoreID())
		if err != nil {
			return fmt.Sprintf("STATE is the last pass's view (runtime not opened: %v)", err)
		}
		lctx, cancel := context.WithTimeout(ctx, time.Duration(m.Config.Runtime.CallTimeout))
		l.listed, l.err = rt.List(lctx)
		l.done = true
		cancel()
	}
	listed, err := l.listed, l.err
	if err != nil {
		return fmt.Sprintf("STATE is the last pass's view (runtime list failed: %v)", err)
	}
	byUID := make(map[string]runtime.Instance, len(listed))
	for _, in := range listed {
		if prev, ok := byUID[in.UID]; !ok || prev.State != runtime.StateRunning {
			byUID[in.UID] = in // one running copy is the one that matters
		}
	}
	changed := 0
	for _, r := range rows {
		if !recordsAnInstance(r) {
			continue
		}
		in, ok := byUID[r.UID]
		switch {
		case !ok:
			r.State, r.ExitCode = StateMissing, nil
		case string(in.State) != r.State:
			r.State, r.ExitCode = string(in.State), in.ExitCode
		default:
			continue
		}
		r.Live = true
		changed++
	}
	if changed == 0 {
		return "" // the records and the runtime agree: nothing to point out
	}
	return fmt.Sprintf("no daemon: STATE is what the runtime lists now; %d uid(s) differ from the last pass's records", changed)
}

// recordsAnInstance reports whether the row's record claims an instance
// (running or exited) that the runtime can confirm or refute.
func recordsAnInstance(r *store.StatusRow) bool {
	return r.State == string(store.InstanceRunning) || r.State == string(store.InstanceExited)
}
