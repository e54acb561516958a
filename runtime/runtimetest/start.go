package runtimetest

import (
	"errors"
	"maps"
	"testing"

	"github.com/veloslet/veloslet/runtime"
)

// testStart holds a runtime.Starter to its promise: an exited container
// starts again in place (same id, same labels, running), starting a running
// one is no error, and a gone one is ErrNotFound.
func testStart(t *testing.T, h *Harness) {
	st, ok := h.Runtime.(runtime.Starter)
	if !ok {
		t.Skipf("%T does not implement runtime.Starter", h.Runtime)
	}
	ctx := ctxFor(t)
	h.MustRun(t, "c7")
	before := h.WaitState(t, "c7", runtime.StateRunning)
	h.Exit(t, "c7", 3)
	h.WaitState(t, "c7", runtime.StateExited)
	if err := st.Start(ctx, before.ID); err != nil {
		t.Fatalf("start exited %s: %v", before.ID, err)
	}
	after := h.WaitState(t, "c7", runtime.StateRunning)
	if after.ID != before.ID {
		t.Errorf("id after start %q, before %q: want the same container", after.ID, before.ID)
	}
	if !maps.Equal(after.Labels, before.Labels) {
		t.Errorf("labels after start %v, before %v", after.Labels, before.Labels)
	}
	if after.ExitCode != nil {
		t.Errorf("exit code %d listed for a running container", *after.ExitCode)
	}
	if err := st.Start(ctx, before.ID); err != nil {
		t.Errorf("start running %s: %v, want no error", before.ID, err)
	}
	if err := h.Runtime.Remove(ctx, "c7"); err != nil {
		t.Fatal(err)
	}
	h.WaitState(t, "c7", "")
	if err := st.Start(ctx, before.ID); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("start removed %s: err=%v, want ErrNotFound", before.ID, err)
	}
}
