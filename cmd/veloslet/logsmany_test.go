package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime/fake"
)

// TestLogsDescribe_Selection: logs and describe take -l, --project and
// --all as stop and status do. logs leads each line with its uid (padded to
// the widest), describe prints one block per uid (a JSON array with --json);
// a uid without output does not hide the others' and its error is
// reported; a selection with uids, or with --json on logs, is refused.
func TestLogsDescribe_Selection(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`[{"uid":"a1","image":"busybox","command":["echo","one"],"labels":{"team":"a"}},
		{"uid":"a22","image":"busybox","command":["echo","two"],"labels":{"team":"a"}},
		{"uid":"b1","image":"busybox","command":["echo","three"],"labels":{"team":"b"}}]`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "logs", "-l", "team=a"); out != "a1  | one\na22 | two\n" {
		t.Errorf("logs -l team=a printed %q", out)
	}
	if out := e.mustRun("", "logs", "--all", "--tail", "1"); out != "a1  | one\na22 | two\nb1  | three\n" {
		t.Errorf("logs --all printed %q", out)
	}
	// b1 is stopped and removed: its lines are gone, a1's are still printed.
	e.mustRun("", "delete", "b1")
	e.mustRun("", "reconcile")
	e.mustRun(`{"uid":"b1","image":"busybox","labels":{"team":"a"}}`, "apply", "-f", "-")
	out, errOut, code := e.run("", "logs", "-l", "team=a")
	if code == 0 || !strings.Contains(out, "a1  | one\n") || !strings.Contains(errOut, "no instance of b1") {
		t.Errorf("logs with one uid not running: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// `--previous 2` after a selection reads 2 as the count, not as a uid.
	if _, errOut, _ := e.run("", "logs", "-l", "team=a", "--previous", "2"); !strings.Contains(errOut, "a1 has 0 kept logs of exited instances, asked for the 2. last") {
		t.Errorf("logs -l team=a --previous 2: stderr %q", errOut)
	}

	e.mustRun("", "fake", "exit", "a1", "--code", "1")
	e.mustRun("", "reconcile") // relaunches a1, keeping what it printed
	out, errOut, code = e.run("", "logs", "-l", "team=a", "--previous")
	if code == 0 || !strings.HasPrefix(out, "a1  | one\n") || !strings.Contains(errOut, "a22 has 0 kept logs") {
		t.Errorf("logs -l team=a --previous: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	desc := e.mustRun("", "describe", "-l", "team=a")
	if blocks := strings.Split(desc, "\n\n"); len(blocks) != 3 || !strings.HasPrefix(blocks[0], "a1 — ") ||
		!strings.HasPrefix(blocks[1], "a22 — ") || !strings.HasPrefix(blocks[2], "b1 — ") {
		t.Errorf("describe -l team=a printed:\n%s", desc)
	}
	var ds []struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "describe", "a1", "a22", "--json")), &ds); err != nil || len(ds) != 2 || ds[1].UID != "a22" {
		t.Errorf("describe a1 a22 --json: %+v, %v", ds, err)
	}
	var one struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "describe", "a1", "--json")), &one); err != nil || one.UID != "a1" {
		t.Errorf("describe a1 --json is no longer one object: %+v, %v", one, err)
	}
	for _, args := range [][]string{
		{"logs", "a1", "-l", "team=a"}, {"logs"}, {"logs", "a1", "a22"}, {"logs", "--all", "--previous", "--json"},
		{"logs", "-l", "team=z"}, {"describe"}, {"describe", "a1", "--all"}, {"describe", "-l", "team=z"},
		{"status", "a1", "--all"},
	} {
		if _, errOut, code := e.run("", args...); code != ExitUsage {
			t.Errorf("veloslet %v: exit %d (%q), want %d", args, code, errOut, ExitUsage)
		}
	}
}

// TestLogs_FollowSelection: with --follow every selected uid is followed at
// once: a line printed later by either instance shows up under its uid,
// and an interrupt ends the command with exit 0.
func TestLogs_FollowSelection(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`[{"uid":"f1","image":"busybox","command":["echo","one"],"labels":{"team":"f"}},
		{"uid":"f2","image":"busybox","command":["echo","two"],"labels":{"team":"f"}}]`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out clitest.SyncBuffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, io.Discard
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.Config
		}
		return ""
	}
	done := make(chan int)
	go func() { done <- m.Execute(ctx, []string{"logs", "-l", "team=f", "--follow"}) }()
	want := func(lines ...string) {
		t.Helper()
		clitest.Poll(t, func() error {
			for _, l := range lines {
				if !strings.Contains(out.String(), l+"\n") {
					return fmt.Errorf("no line %q in %q", l, out.String())
				}
			}
			return nil
		})
	}
	want("f1 | one", "f2 | two")
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Print("f2", "later"); err != nil {
		t.Fatal(err)
	}
	if err := host.Print("f1", "later too"); err != nil {
		t.Fatal(err)
	}
	want("f2 | later", "f1 | later too")
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("logs --follow ended with exit %d:\n%s", code, out.String())
	}
}
