package podman_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
)

// logsPodman answers `logs --timestamps [--tail N] -- ID` from the file
// "log" beside it, as podman does: the last N lines, whatever their time.
// It notes each call's arguments in "calls".
const logsPodman = `#!/bin/sh
dir=$(dirname "$0")
echo "$@" >> "$dir/calls"
[ "$1" = logs ] || exit 125
if [ "$3" = --tail ]; then exec tail -n "$4" "$dir/log"; fi
exec cat "$dir/log"
`

// untilPodman writes a scripted podman whose log holds old lines stamped
// before t0 and new lines after it, and returns the runtime and a reader
// of the calls made.
func untilPodman(t *testing.T, old, new int) (*podman.Runtime, time.Time, func() []string) {
	t.Helper()
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	var log strings.Builder
	for i := 1; i <= old; i++ {
		fmt.Fprintf(&log, "%s old %d\n", t0.Add(time.Duration(i-old-1)*time.Millisecond).Format(time.RFC3339Nano), i)
	}
	for i := 1; i <= new; i++ {
		fmt.Fprintf(&log, "%s new %d\n", t0.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i)
	}
	for name, body := range map[string]string{"podman": logsPodman, "log": log.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	calls := func() []string {
		b, _ := os.ReadFile(filepath.Join(dir, "calls"))
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return podman.New(filepath.Join(dir, "podman")), t0, calls
}

// TestLogsUntil_Windows: Logs with Until returns the newest Tail lines
// written before Until, however many the container wrote since: it reads
// a tail twice as long as asked, and twice as long again while the lines
// before Until are too few and the tail came back full, up to 16 times.
func TestLogsUntil_Windows(t *testing.T) {
	for _, c := range []struct {
		name     string
		old, new int
		tails    []string // --tail of each call
		first    int      // the first old line kept; 0: none
		kept     int
	}{
		{"a quiet new run: one read", 10, 1, []string{"8"}, 7, 4},
		{"a short log: one read", 2, 1, []string{"8"}, 1, 2},
		{"no new run", 10, 0, []string{"8"}, 7, 4},
		{"a loud new run: the tail grows", 10, 20, []string{"8", "16", "32"}, 7, 4},
		{"louder than 16 tails: what the last one holds", 10, 62, []string{"8", "16", "32", "64"}, 9, 2},
		{"nothing before Until", 0, 100, []string{"8", "16", "32", "64"}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt, t0, calls := untilPodman(t, c.old, c.new)
			var out bytes.Buffer
			if err := rt.Logs(context.Background(), "abc", runtime.LogOptions{Tail: 4, Until: t0}, &out); err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for i := c.first; c.kept > 0 && i < c.first+c.kept; i++ {
				fmt.Fprintf(&want, "old %d\n", i)
			}
			if out.String() != want.String() {
				t.Errorf("logs = %q, want %q", out.String(), want.String())
			}
			var tails []string
			for _, call := range calls() {
				f := strings.Fields(call)
				if len(f) != 6 || f[0] != "logs" || f[1] != "--timestamps" || f[2] != "--tail" || f[4] != "--" || f[5] != "abc" {
					t.Fatalf("call %q, want logs --timestamps --tail N -- abc", call)
				}
				tails = append(tails, f[3])
			}
			if strings.Join(tails, " ") != strings.Join(c.tails, " ") {
				t.Errorf("tails %v, want %v", tails, c.tails)
			}
		})
	}
}

// TestLogsUntil_LinesWithoutTime: a line with no time of its own (podman
// prints none such; a line in parts would be one) goes with the line before
// it, and the last line is kept without a newline of its own.
func TestLogsUntil_LinesWithoutTime(t *testing.T) {
	rt, t0, _ := untilPodman(t, 0, 0)
	before := t0.Add(-time.Second).Format(time.RFC3339Nano)
	after := t0.Add(time.Second).Format(time.RFC3339Nano)
	log := "no time at the start\n" + before + " old\nmore of old\n" + before + " \n" +
		after + " new\nmore of new\n" + before + " last, stamped before"
	dir := filepath.Dir(rt.Binary)
	if err := os.WriteFile(filepath.Join(dir, "log"), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rt.Logs(context.Background(), "abc", runtime.LogOptions{Tail: 10, Until: t0}, &out); err != nil {
		t.Fatal(err)
	}
	want := "no time at the start\nold\nmore of old\n\nlast, stamped before\n"
	if out.String() != want {
		t.Fatalf("logs = %q, want %q", out.String(), want)
	}
}
