package podman_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/spec"
)

// TestRuntime_Logs: `podman logs --tail N` reads an exited container's
// output, stdout and stderr in the order written; a missing container is
// ErrNotFound.
func TestRuntime_Logs(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "lg",
		Container: spec.Container{Image: podmantest.Image, Command: []string{"sh", "-c", `for i in $(seq 1 500); do echo "line $i"; done; echo "to stderr" >&2; exit 3`}},
		StoreID:   "s"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := rt.List(ctx)
		if err == nil && len(list) == 1 && list[0].State == runtime.StateExited {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container did not exit: %+v, %v", list, err)
		}
		time.Sleep(100 * time.Millisecond) // polling the runtime with a deadline
	}
	var buf bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 3}, &buf); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "line 499\nline 500\nto stderr\n"; got != want {
		t.Fatalf("logs --tail 3 = %q, want %q", got, want)
	}
	err = rt.Logs(ctx, "velos-nosuch-container", runtime.LogOptions{Tail: 3}, &buf)
	if !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), "Error:") {
		t.Fatalf("logs of a missing container: %v, want ErrNotFound with podman's Error: line", err)
	}
}

// TestRuntime_LogsUntil: the podman here runs on this host, so it says Logs
// honours Until; after a start in place, `podman logs --until T` with T
// taken before the start reads the first run's output alone; the log file
// keeps both runs. A tail of one line is the first run's last, though
// podman's own --tail, taken before any cut, would hold the second run's.
func TestRuntime_LogsUntil(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t)
	if !rt.LogsUntil(ctx) {
		t.Fatal("LogsUntil false for podman on this host")
	}
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "lu",
		Container: spec.Container{Image: podmantest.Image, Command: []string{"cat", "/proc/sys/kernel/random/uuid"}},
		StoreID:   "s"})
	if err != nil {
		t.Fatal(err)
	}
	waitExited := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			list, err := rt.ListUID(ctx, "lu")
			if err == nil && len(list) == 1 && list[0].State == runtime.StateExited {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("container did not exit: %+v, %v", list, err)
			}
			time.Sleep(100 * time.Millisecond) // polling the runtime with a deadline
		}
	}
	waitExited()
	until := time.Now()
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitExited()
	var all, first bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{}, &all); err != nil {
		t.Fatal(err)
	}
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 4, Until: until}, &first); err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(strings.TrimSpace(all.String()), "\n")
	if len(runs) != 2 || runs[0] == runs[1] {
		t.Fatalf("log of two runs %q, want two different lines", all.String())
	}
	if first.String() != runs[0]+"\n" {
		t.Fatalf("logs --until before the second start = %q, want the first run's %q", first.String(), runs[0])
	}
	var one bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 1, Until: until}, &one); err != nil {
		t.Fatal(err)
	}
	if one.String() != runs[0]+"\n" {
		t.Fatalf("logs with tail 1 until before the second start = %q, want the first run's %q", one.String(), runs[0])
	}
}
