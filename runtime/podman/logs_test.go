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
)

// TestRuntime_Logs: `podman logs --tail N` reads an exited container's
// output, stdout and stderr in the order written; a missing container is
// ErrNotFound.
func TestRuntime_Logs(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "lg", Image: podmantest.Image, StoreID: "s",
		Command: []string{"sh", "-c", `for i in $(seq 1 500); do echo "line $i"; done; echo "to stderr" >&2; exit 3`}})
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
