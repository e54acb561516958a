package runtimetest

import (
	"maps"
	"testing"

	"github.com/veloslet/veloslet/runtime"
)

// testListUID: ListUID shows uid's container as List does, running and
// exited (its code, labels and start time), and nothing for a uid with
// none, even when another uid's name starts with it.
func testListUID(t *testing.T, h *Harness) {
	l, ok := h.Runtime.(runtime.UIDLister)
	if !ok {
		t.Skipf("%T has no ListUID", h.Runtime)
	}
	ctx := ctxFor(t)
	h.MustRun(t, "c8")
	h.MustRun(t, "c8x")
	want := h.WaitState(t, "c8", runtime.StateRunning)
	got, err := l.ListUID(ctx, "c8")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != want.ID || got[0].UID != "c8" || got[0].State != want.State {
		t.Fatalf("ListUID(c8) = %+v, want only %s", got, want.ID)
	}
	if got, err := l.ListUID(ctx, "c9"); err != nil || len(got) != 0 {
		t.Fatalf("ListUID of a uid with no container = %+v, %v; want none", got, err)
	}
	h.Exit(t, "c8", 3)
	want = h.WaitState(t, "c8", runtime.StateExited)
	got, err = l.ListUID(ctx, "c8")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !sameListing(got[0], *want) {
		t.Fatalf("ListUID(c8) after exit = %+v, want as List: %+v", got, *want)
	}
}

// sameListing reports whether two listings of one container agree on what
// the planner reads.
func sameListing(a, b runtime.Instance) bool {
	codes := (a.ExitCode == nil) == (b.ExitCode == nil) && (a.ExitCode == nil || *a.ExitCode == *b.ExitCode)
	return a.ID == b.ID && a.UID == b.UID && a.Name == b.Name && a.State == b.State && codes &&
		a.StartedAt.Equal(b.StartedAt) && maps.Equal(a.Labels, b.Labels)
}
