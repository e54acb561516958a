package fleet_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/veloslet/veloslet/store/storetest"
)

// recordLog keeps the messages and levels of every record.
type recordLog struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (r *recordLog) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *recordLog) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recordLog) WithGroup(string) slog.Handler      { return r }

// all returns every record's message and attributes.
func (r *recordLog) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		w := rec.Level.String() + " " + rec.Message
		rec.Attrs(func(a slog.Attr) bool { w += " " + a.String(); return true })
		out = append(out, w)
	}
	return out
}

// count returns how many records have msg, and the warnings.
func (r *recordLog) count(msg string) (n int, warns []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		if rec.Message == msg {
			n++
		}
		if rec.Level >= slog.LevelWarn {
			w := rec.Message
			rec.Attrs(func(a slog.Attr) bool { w += " " + a.String(); return true })
			warns = append(warns, w)
		}
	}
	return n, warns
}

// TestNode_OneSessionPerConnection (issue 30, point 10): a node that starts
// connects once, reads its keys once and catches up in one session: one
// "fleet connected", one watch, no warning. Before, the connect callback
// and Run's own check both counted as a new connection, and the second
// aborted the first session's catch-up.
func TestNode_OneSessionPerConnection(t *testing.T) {
	_, url := oneServer(t)
	c := dialClient(t, url)
	all := uidList("s", 50)
	mustApply(t, c, "edge-1", specs(all...)...)
	for round := range 3 { // the race was in most starts, not all: several starts
		rec := &recordLog{}
		n := newTestNode(t, "edge-1", []string{url}, testLogger{slog.New(rec)})
		n.converge(t, waitLong, n.wantRunning(t, gens(all, 1)))
		storetest.RetryUntil(t, 0, waitLong, func() error { // the report follows the catch-up
			if got := statusOf(t, c, "edge-1"); len(got) != len(all) {
				return fmt.Errorf("%d status rows", len(got))
			}
			return nil
		})
		n.stop()
		conn, warns := rec.count("fleet connected")
		watch, _ := rec.count("fleet watch")
		// The client may close its ordered consumer when it misses the
		// server's heartbeats on a loaded machine; the node then says so and
		// starts a session anew, rightly. Only a session with no such cause
		// is the bug.
		closed, _ := rec.count("fleet: the specs watch closed; watching again from the stored revision")
		if conn != 1+closed || watch != 1+closed || len(warns) != 0 {
			t.Fatalf("start %d: %d connected notices, %d watches, warnings %q after %d closed watches; want %d, %d, none; log:\n%s",
				round, conn, watch, warns, closed, 1+closed, 1+closed, strings.Join(rec.all(), "\n"))
		}
	}
}
