package supervisor_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_KeepsCrashLog: the last lines of an instance that exited
// are stored with its exited event before the relaunch removes it, bounded
// to the configured lines, with the spec's env values redacted.
func TestSupervisor_KeepsCrashLog(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	s.Policy.BackoffInitial = 0
	s.LogCapture.TailLines = 5
	storetest.MustApply(t, s.DB, store.Spec{UID: "web",
		Container: vspec.Container{Image: "busybox", Command: []string{"echo", "starting"}, Env: map[string]string{"TOKEN": "s3cret-value", "DEBUG": "1"}}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("line %d of 20, debug 1", i+1))
	}
	lines = append(lines, "fatal: token s3cret-value refused")
	if err := rt.Print("web", lines...); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("web", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	logs, err := s.DB.FindCrashLogs(ctx, "web", 0)
	if err != nil || len(logs) != 1 {
		t.Fatalf("logs %+v (err %v), want one", logs, err)
	}
	l := logs[0]
	want := "line 17 of 20, debug [env DEBUG]\nline 18 of 20, debug [env DEBUG]\nline 19 of 20, debug [env DEBUG]\n" +
		"line 20 of 20, debug [env DEBUG]\nfatal: token [env TOKEN] refused\n"
	if l.Text != want || l.Lines != 5 || l.ExitCode == nil || *l.ExitCode != 3 {
		t.Fatalf("log %+v:\n%s\nwant exit 3 and:\n%s", l, l.Text, want)
	}
	ev, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "web", Kind: store.EventExited})
	if err != nil || len(ev) != 1 || ev[0].ID != l.EventID {
		t.Fatalf("exited events %+v, want the one the log is kept with (%d)", ev, l.EventID)
	}
	if strings.Contains(l.Text, "s3cret") {
		t.Fatal("an env value was stored")
	}
}

func TestRedactEnv(t *testing.T) {
	env := map[string]string{"A": "abc", "LONG": "password123", "LONGER": "password1234", "EMPTY": ""}
	got := supervisor.RedactEnv("x=abc abcd password1234 password123 (abc)", env)
	want := "x=[env A] abcd [env LONGER] [env LONG] ([env A])"
	if got != want {
		t.Fatalf("RedactEnv = %q, want %q", got, want)
	}
}
