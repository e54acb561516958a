package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/store"
)

func TestTerm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"héllo 世界 ✓", "héllo 世界 ✓"},
		{"\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\a\x1b[2J`},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"del\x7f c1\u009b", `del\x7f c1\u009b`},
		{"bidi \u202eevil", `bidi \u202eevil`},
		{"bad \xff byte", `bad \xff byte`},
	} {
		if got := term(tc.in); got != tc.want {
			t.Errorf("term(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEvents_EscapesControlCharacters: a failed-run reason carrying ESC
// sequences (a command's text echoed in a CLI's error) reaches the text
// output of events, status and the pass report escaped, and the JSON output
// exactly.
func TestEvents_EscapesControlCharacters(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid":"esc","image":"busybox","command":["sh","-c","\u001b]0;pwned\u0007"]}`+"\n", "apply", "-f", "-")
	const reason = "run failed: \x1b]0;pwned\x07\x1b[2J\x1b[31mFAKE OK\x1b[0m\n1970 esc launched"
	db, err := store.Open(context.Background(), e.DB)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordOutcome(context.Background(), store.Outcome{
		Events: []store.Event{{UID: "esc", Kind: store.EventFailed, Reason: reason}}}); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	for _, args := range [][]string{{"events"}, {"status"}, {"plan"}} {
		out := e.mustRun("", args...)
		if strings.ContainsAny(out, "\x1b\x07\r") {
			t.Errorf("veloslet %s printed control characters: %q", args[0], out)
		}
		if args[0] == "events" && !strings.Contains(out, `\x1b]0;pwned\a\x1b[2J`) {
			t.Errorf("events lacks the escaped reason: %q", out)
		}
	}
	dec := json.NewDecoder(strings.NewReader(e.mustRun("", "events", "--json")))
	found := false
	for dec.More() {
		var ev struct{ Reason string }
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		found = found || ev.Reason == reason
	}
	if !found {
		t.Errorf("events --json does not carry the exact reason")
	}
}
