package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/veloslet/veloslet/store"
)

// waitPoll is how often apply --wait reads the records the daemon writes.
const waitPoll = 200 * time.Millisecond

// waitApplied waits until the daemon has every applied uid where its spec
// wants it: running the applied generation (and healthy, where the spec has
// a probe), or not running when its desired state is stopped. It prints a
// line each time a uid's state changes, and on timeout names each uid that
// is not there with its state and last error.
func (m *Main) waitApplied(ctx context.Context, w io.Writer, db *store.DB, results []store.ApplyResult, timeout time.Duration) error {
	if _, held := daemonPID(m.Config.Store.Path); !held {
		return fmt.Errorf("apply --wait: no daemon serves %s, so nothing would start the specs; run `veloslet serve` (or `veloslet reconcile` for one pass)", m.Config.Store.Path)
	}
	gen := make(map[string]int64, len(results))
	uids := make([]string, 0, len(results))
	for _, r := range results {
		gen[r.UID] = r.Generation
		uids = append(uids, r.UID)
	}
	sort.Strings(uids)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := map[string]string{}
	var pending map[string]*store.StatusRow // as of the last read that succeeded
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		rows, err := db.FindStatus(ctx, uids...)
		switch {
		case err != nil && ctx.Err() != nil:
			return waitFailed(pending, timeout)
		case err != nil:
			return err
		}
		pending = map[string]*store.StatusRow{}
		for _, r := range rows {
			state := waitState(r, gen[r.UID], db.Now())
			if seen[r.UID] != state {
				fmt.Fprintf(w, "%s %s\n", term(r.UID), state)
				seen[r.UID] = state
			}
			if state != "ready" {
				pending[r.UID] = r
			}
		}
		if len(pending) == 0 && len(rows) == len(uids) {
			return nil
		}
		select {
		case <-ctx.Done():
			return waitFailed(pending, timeout)
		case <-tick.C:
		}
	}
}

// waitState names where a uid stands for --wait: "ready" once it is where
// its spec wants it, else what status would show.
func waitState(r *store.StatusRow, gen int64, now time.Time) string {
	running := r.State == string(store.InstanceRunning) && r.RunningGeneration != nil && *r.RunningGeneration >= gen
	healthy := r.Health == nil || *r.Health == "healthy"
	switch {
	case r.DesiredState == string(store.DesiredStopped) && r.State != string(store.InstanceRunning):
		return "ready"
	case running && healthy:
		return "ready"
	case running:
		return "running, health " + *r.Health
	}
	return displayState(r, now)
}

func waitFailed(pending map[string]*store.StatusRow, timeout time.Duration) error {
	uids := make([]string, 0, len(pending))
	for uid := range pending {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	var b strings.Builder
	for _, uid := range uids {
		r := pending[uid]
		fmt.Fprintf(&b, "\n  %s: %s", term(uid), term(r.State))
		if r.LastError != "" {
			fmt.Fprintf(&b, ": %s", term(r.LastError))
		}
	}
	return fmt.Errorf("apply --wait: %d uid(s) not running after %s:%s", len(uids), timeout, b.String())
}
