package fleet_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
)

// TestNode_HostileKeys (issue 30, point 4): keys that break NATS's rules,
// stored by raw publishes into the node's key space, are refused once each
// with an event and nothing else: status reporting goes on (a deleted
// uid's status key is removed), events reach the stream, `fleet status`
// skips such a key in the status bucket, and DeleteInvalid (`fleet delete
// --invalid-keys`) removes every revision of them.
func TestNode_HostileKeys(t *testing.T) {
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	rec := &recordLog{}
	n := newTestNode(t, "edge-1", []string{url}, testLogger{slog.New(rec)})
	mustApply(t, c, "edge-1", specs("web", "api")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1}))

	raw, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	bad := []string{"edge-1.>", "edge-1.*", "edge-1.\x1b[31m", "edge-1.é"}
	for _, k := range bad {
		for range 2 { // two revisions of each
			if err := raw.Publish("$KV."+fleet.DefaultSpecsBucket+"."+k, []byte(`{"uid":"x","image":"busybox"}`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := raw.Publish("$KV."+fleet.DefaultStatusBucket+".edge-1.>", []byte(`{"uid":">","state":"running"}`)); err != nil {
		t.Fatal(err)
	}
	if err := raw.Flush(); err != nil {
		t.Fatal(err)
	}
	refusals := func() []string {
		evs, err := n.db.FindEvents(ctx, store.EventFilter{Kind: store.EventInvalid})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Reason)
		}
		return out
	}
	n.converge(t, waitLong, func() error {
		if got := refusals(); len(got) != 2*len(bad) {
			return fmt.Errorf("refusals %q, want one per key and revision (%d)", got, 2*len(bad))
		}
		return nil
	})
	for _, r := range refusals() {
		if strings.ContainsAny(r, "\x1bé") {
			t.Errorf("refusal %q carries the raw key", r)
		}
	}
	if owned, _ := n.db.FindFleetSpecs(ctx); len(owned) != 2 {
		t.Errorf("fleet specs %+v, want web and api only", owned)
	}

	// Reporting goes on: api deleted, its status key goes.
	if err := c.Delete(ctx, "edge-1", "api"); err != nil {
		t.Fatal(err)
	}
	n.converge(t, waitLong, func() error {
		st := statusOf(t, c, "edge-1") // the status bucket's hostile key skipped
		if _, ok := st["api"]; ok || st["web"].State != "running" || len(st) != 1 {
			return fmt.Errorf("status %+v, want web alone", st)
		}
		return nil
	})
	n.converge(t, waitLong, sameEvents(t, c, n))
	if _, warns := rec.count(""); len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}

	// A restart resumes past them: no second refusal.
	n.stop()
	n.start(t, []string{url})
	mustApply(t, c, "edge-1", specs("new")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "new": 1}))
	if got := refusals(); len(got) != 2*len(bad) {
		t.Errorf("after a restart, refusals %q", got)
	}

	// A node with a new store reads every key's value: the server's
	// last-per-subject delivery reads a literal "*" or ">" token as a
	// wildcard, and the catch-up must still end with the right specs.
	n.stop()
	fresh := newTestNode(t, "edge-1", []string{url})
	fresh.converge(t, waitLong, fresh.wantRunning(t, map[string]int64{"web": 1, "new": 1}))
	fresh.stop()

	keys, err := c.DeleteInvalid(ctx, "edge-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`"edge-1.>"`, `"edge-1.*"`, `"edge-1.\x1b[31m"`, `"edge-1.\u00e9"`}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("deleted %q, want %q", keys, want)
	}
	if keys, err := c.DeleteInvalid(ctx, "edge-1"); err != nil || len(keys) != 0 {
		t.Errorf("a second pass deleted %q, %v", keys, err)
	}
	// The valid keys are untouched.
	n.start(t, []string{url})
	mustApply(t, c, "edge-1", specs("last")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "new": 1, "last": 1}))
}
