package apple_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestStart_TruncatesLog: `container start` opens stdio.log with O_TRUNC
// (SandboxService, every tag 0.1.0–1.2.2): a start in place erases what the
// previous run printed. The emulator does the same.
func TestStart_TruncatesLog(t *testing.T) {
	ctx := context.Background()
	rt, state := appletest.New(t, "1.2.2")
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "tr", Container: vspec.Container{Image: "alpine", Command: []string{"sleep", "infinity"}}, StoreID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	emuVerb(t, rt.Env, "emu-log", string(id), "before the crash")
	appletest.Exit(t, rt, state, "1.2.2", "tr", 3)
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{}, &buf); err != nil || buf.Len() != 0 {
		t.Fatalf("logs after start: %q, %v; want nothing: the start truncates", buf.String(), err)
	}
}

// TestSupervisor_AppleCrashLogReadBeforeStart: on Apple a crashed
// instance's output is read (`logs -n`) before the start in place that
// erases it, so the kept crash log holds what the crashed run printed.
func TestSupervisor_AppleCrashLogReadBeforeStart(t *testing.T) {
	ctx := context.Background()
	rt, state := appletest.New(t, "1.2.2")
	calls := appletest.LogCalls(t, rt)
	db := storetest.MustOpenDB(t)
	s := supervisor.New(db, rt)
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.Policy.BackoffInitial = 0
	storetest.MustApply(t, db, store.Spec{UID: "web", Container: vspec.Container{Image: "alpine", Command: []string{"sleep", "infinity"}}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	emuVerb(t, rt.Env, "emu-log", "velos-web", "serving", "panic: the crash")
	appletest.Exit(t, rt, state, "1.2.2", "web", 2)
	calls.Reset(t)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	logs, err := db.FindCrashLogs(ctx, "web", 0)
	if err != nil || len(logs) != 1 || logs[0].Text != "serving\npanic: the crash\n" {
		t.Fatalf("crash logs %+v (%v), want the crashed run's two lines", logs, err)
	}
	var verbs []string
	for _, a := range calls.Argv(t) {
		verbs = append(verbs, a[0])
	}
	logsAt, startAt := slices.Index(verbs, "logs"), slices.Index(verbs, "start")
	if logsAt < 0 || startAt < 0 || logsAt > startAt {
		t.Fatalf("calls %q: want logs before start (a start in place)", verbs)
	}
}
