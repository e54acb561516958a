package fake_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/spec"
)

// TestRuntime_SetExec: a set result answers every exec until the container
// starts again; a hang lasts until the caller's deadline.
func TestRuntime_SetExec(t *testing.T) {
	ctx := context.Background()
	rt := fake.New()
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "w", Container: spec.Container{Image: "busybox"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExec("nosuch", fake.ExecResult{}); !errors.Is(err, runtime.ErrNotFound) {
		t.Fatalf("SetExec of a missing uid: %v, want ErrNotFound", err)
	}
	if err := rt.SetExec("w", fake.ExecResult{Code: 3, Output: "not ready\n"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code, err := rt.Exec(ctx, "w", []string{"pg_isready"}, &out); err != nil || code != 3 || out.String() != "not ready\n" {
		t.Fatalf("exec: code %d, err %v, output %q; want 3, nil, %q", code, err, out.String(), "not ready\n")
	}

	if err := rt.SetExec("w", fake.ExecResult{Hang: true}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := rt.Exec(short, "w", []string{"true"}, &out); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("exec into a hung container: %v, want the deadline", err)
	}

	// A start in place is a new process: healthy again.
	if err := rt.SetExited("w", 1); err != nil {
		t.Fatal(err)
	}
	rt.Now = func() time.Time { return time.Now().Add(time.Second) }
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	if code, err := rt.Exec(ctx, "w", []string{"true"}, &out); err != nil || code != 0 {
		t.Fatalf("exec after a start: code %d, err %v; want 0, nil", code, err)
	}
}
