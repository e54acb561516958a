package runtimetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// testExec: a runtime that implements runtime.Execer runs a command in a
// running container and returns its exit code and output; it tells a
// missing and a stopped container apart, and a command that hangs is cut
// by the caller's deadline. The harness's image has echo, false and sleep.
func testExec(t *testing.T, h *Harness) {
	ex, ok := h.Runtime.(runtime.Execer)
	if !ok {
		t.Skip("runtime does not implement runtime.Execer")
	}
	ctx := ctxFor(t)
	h.MustRun(t, "x1")
	h.WaitState(t, "x1", runtime.StateRunning)

	var out bytes.Buffer
	code, err := ex.Exec(ctx, "x1", []string{"echo", "hello", "probe"}, &out)
	if err != nil || code != 0 {
		t.Fatalf("exec echo: code %d, err %v", code, err)
	}
	if got := strings.TrimSpace(out.String()); got != "hello probe" {
		t.Fatalf("exec echo printed %q, want %q", got, "hello probe")
	}
	if code, err := ex.Exec(ctx, "x1", []string{"false"}, &out); err != nil || code != 1 {
		t.Fatalf("exec false: code %d, err %v; want code 1, no error", code, err)
	}
	if _, err := ex.Exec(ctx, "x1", nil, &out); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("exec of no command: %v, want ErrInvalid", err)
	}

	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if code, err := ex.Exec(short, "x1", []string{"sleep", "600"}, &out); err == nil {
		t.Fatalf("exec sleep 600 under a 1s deadline: code %d, no error", code)
	}
	if short.Err() == nil {
		t.Fatal("exec sleep 600 returned before its deadline")
	}

	if _, err := ex.Exec(ctx, "nosuch", []string{"true"}, &out); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("exec in a missing container: %v, want ErrNotFound", err)
	}
	h.Exit(t, "x1", 0)
	h.WaitState(t, "x1", runtime.StateExited)
	if _, err := ex.Exec(ctx, "x1", []string{"true"}, &out); !errors.Is(err, runtime.ErrNotRunning) {
		t.Fatalf("exec in an exited container: %v, want ErrNotRunning", err)
	}
}
