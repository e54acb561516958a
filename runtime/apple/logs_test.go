package apple_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
)

// TestRuntime_Logs: `container logs -n N` prints the last N non-empty lines
// of a stopped container's output; a missing container is ErrNotFound with
// the wording of each version.
func TestRuntime_Logs(t *testing.T) {
	for _, v := range []string{"0.6.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			ctx := context.Background()
			rt, state := appletest.New(t, v)
			id, err := rt.Run(ctx, runtime.RunSpec{UID: "lg", Container: spec.Container{Image: "alpine", Command: []string{"echo", "hello", "there"}}, StoreID: "s"})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(rt.Binary, "emu-log", string(id), "", "second", "", "third")
			cmd.Env = append(os.Environ(), appletest.Env(state, v)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("emu-log: %v: %s", err, out)
			}
			appletest.Exit(t, rt, state, v, "lg", 3)
			var buf bytes.Buffer
			if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 2}, &buf); err != nil || buf.String() != "second\nthird\n" {
				t.Fatalf("logs -n 2 = %q, %v; want the last two non-empty lines", buf.String(), err)
			}
			buf.Reset()
			if err := rt.Logs(ctx, id, runtime.LogOptions{}, &buf); err != nil || buf.String() != "hello there\n\nsecond\n\nthird\n" {
				t.Fatalf("logs = %q, %v; want the whole output", buf.String(), err)
			}
			err = rt.Logs(ctx, "velos-nosuch", runtime.LogOptions{Tail: 5}, &buf)
			if !errors.Is(err, runtime.ErrNotFound) || !strings.Contains(err.Error(), "velos-nosuch not found") {
				t.Fatalf("logs of a missing container: %v, want ErrNotFound with the CLI's words", err)
			}
		})
	}
}
