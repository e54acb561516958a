// Package runtimetest holds the contract every runtime.Runtime must pass.
// The fake and the CLI backends (over real tools or emulators) all run
// RunContract, so the supervisor can rely on one behaviour.
package runtimetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// Harness is one runtime under test with what the contract needs around it.
type Harness struct {
	Runtime runtime.Runtime
	// Exit makes uid's container exit with code, as if its process ended.
	Exit func(tb testing.TB, uid string, code int)
	// ReportsExitCodes is false for runtimes that never report one (Apple).
	ReportsExitCodes bool
	// Image and Command launch a long-running container.
	Image   string
	Command []string
	// Settle is how long to poll for the runtime to reflect a change.
	Settle time.Duration
	// Reopen returns another backend on the same host that lists by
	// storeID's label too, with Runtime's name prefix or, with newPrefix, one
	// of its own (a daemon restarted with a new prefix). Nil skips the tests
	// that need it.
	Reopen func(tb testing.TB, storeID string, newPrefix bool) runtime.Runtime
	// Rename renames a container, as `podman rename` does; nil for runtimes
	// that cannot (Apple's CLI has no rename).
	Rename func(tb testing.TB, id runtime.InstanceID, name string)
	// Fields, when set, runs the spec-field cases (fields.go, ports.go).
	Fields *Fields
}

// RunContract runs the contract against fresh harnesses from newHarness.
func RunContract(t *testing.T, newHarness func(t *testing.T) *Harness) {
	// Each case has a host of its own (its own name prefix), and most of
	// their time is the runtime's: they run side by side.
	t.Run("RunList", func(t *testing.T) { t.Parallel(); testRunList(t, newHarness(t)) })
	t.Run("RunExists", func(t *testing.T) { t.Parallel(); testRunExists(t, newHarness(t)) })
	t.Run("RunRejectsFlags", func(t *testing.T) { t.Parallel(); testRunRejectsFlags(t, newHarness(t)) })
	t.Run("StopIdempotent", func(t *testing.T) { t.Parallel(); testStop(t, newHarness(t)) })
	t.Run("RemoveIdempotent", func(t *testing.T) { t.Parallel(); testRemove(t, newHarness(t)) })
	t.Run("Exit", func(t *testing.T) { t.Parallel(); testExit(t, newHarness(t)) })
	t.Run("Version", func(t *testing.T) { t.Parallel(); testVersion(t, newHarness(t)) })
	t.Run("RemoveInstance", func(t *testing.T) { t.Parallel(); testRemoveInstance(t, newHarness(t)) })
	t.Run("ListByStoreLabel", func(t *testing.T) { t.Parallel(); testListByStoreLabel(t, newHarness(t)) })
	t.Run("Start", func(t *testing.T) { t.Parallel(); testStart(t, newHarness(t)) })
	t.Run("ListUID", func(t *testing.T) { t.Parallel(); testListUID(t, newHarness(t)) })
	t.Run("Fields", func(t *testing.T) { t.Parallel(); testFields(t, newHarness(t)) })
	t.Run("VolumesKept", func(t *testing.T) { t.Parallel(); testVolumesKept(t, newHarness(t)) })
	t.Run("Ports", func(t *testing.T) { t.Parallel(); testPorts(t, newHarness(t)) })
	t.Run("InitCaps", func(t *testing.T) { t.Parallel(); testInitCaps(t, newHarness(t)) })
	t.Run("Exec", func(t *testing.T) { t.Parallel(); testExec(t, newHarness(t)) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Spec returns a run spec for uid on the harness's image.
func (h *Harness) Spec(uid string) runtime.RunSpec {
	return runtime.RunSpec{UID: uid,
		Container:  spec.Container{Image: h.Image, Command: h.Command, Env: map[string]string{"GREETING": "a=b c"}, Labels: map[string]string{"team": "ops"}},
		Generation: 3,
		SpecHash:   "abc123",
		StoreID:    "store1"}
}

// MustRun launches uid and removes it at cleanup.
func (h *Harness) MustRun(t *testing.T, uid string) runtime.InstanceID {
	t.Helper()
	id, err := h.Runtime.Run(ctxFor(t), h.Spec(uid))
	if err != nil {
		t.Fatalf("run %s: %v", uid, err)
	}
	t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), uid) })
	return id
}

// Find lists and returns uid's instance, or nil.
func (h *Harness) Find(t *testing.T, uid string) *runtime.Instance {
	t.Helper()
	list, err := h.Runtime.List(ctxFor(t))
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for i := range list {
		if list[i].UID == uid {
			return &list[i]
		}
	}
	return nil
}

// WaitState polls until uid is listed in state (or is gone, for "").
func (h *Harness) WaitState(t *testing.T, uid string, state runtime.State) *runtime.Instance {
	t.Helper()
	settle := h.Settle
	if settle == 0 {
		settle = 10 * time.Second
	}
	deadline, pace := time.Now().Add(settle), testtool.NewPacer(20*time.Millisecond)
	for {
		in := h.Find(t, uid)
		if (in == nil && state == "") || (in != nil && in.State == state) {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %v after %s, want %q", uid, describe(in), settle, state)
		}
		pace.Wait()
	}
}

func describe(in *runtime.Instance) string {
	if in == nil {
		return "gone"
	}
	return string(in.State)
}

func testRunList(t *testing.T, h *Harness) {
	id := h.MustRun(t, "c1")
	if id == "" {
		t.Fatal("Run returned an empty id")
	}
	in := h.WaitState(t, "c1", runtime.StateRunning)
	if in.ID != id && !strings.HasPrefix(string(in.ID), string(id)) && !strings.HasPrefix(string(id), string(in.ID)) {
		t.Errorf("listed id %q, Run returned %q", in.ID, id)
	}
	for k, want := range map[string]string{
		runtime.LabelUID: "c1", runtime.LabelGeneration: "3", runtime.LabelSpecHash: "abc123",
		runtime.LabelStore: "store1", "team": "ops",
	} {
		if got := in.Labels[k]; got != want {
			t.Errorf("label %s=%q, want %q", k, got, want)
		}
	}
	if in.Generation() != 3 || in.StoreID() != "store1" {
		t.Errorf("Generation()=%d StoreID()=%q", in.Generation(), in.StoreID())
	}
}

func testRunExists(t *testing.T, h *Harness) {
	h.MustRun(t, "c2")
	_, err := h.Runtime.Run(ctxFor(t), h.Spec("c2"))
	if !errors.Is(err, runtime.ErrExists) {
		t.Fatalf("second run: err=%v, want ErrExists", err)
	}
	list, err := h.Runtime.List(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range list {
		if in.UID == "c2" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d instances for c2, want exactly 1", n)
	}
}

func testRunRejectsFlags(t *testing.T, h *Harness) {
	for _, s := range []runtime.RunSpec{
		func() runtime.RunSpec { s := h.Spec("c3"); s.Image = "--privileged"; return s }(),
		func() runtime.RunSpec { s := h.Spec("c3"); s.Image = "-v"; return s }(),
		func() runtime.RunSpec { s := h.Spec("-c3"); return s }(),
	} {
		_, err := h.Runtime.Run(ctxFor(t), s)
		if !errors.Is(err, runtime.ErrInvalid) {
			t.Errorf("run uid=%q image=%q: err=%v, want ErrInvalid", s.UID, s.Image, err)
		}
	}
	if in := h.Find(t, "c3"); in != nil {
		t.Fatalf("an instance was created: %+v", in)
	}
}

func testStop(t *testing.T, h *Harness) {
	ctx := ctxFor(t)
	if err := h.Runtime.Stop(ctx, "missing"); err != nil {
		t.Fatalf("stop missing: %v", err)
	}
	h.MustRun(t, "c4")
	for i := range 2 {
		if err := h.Runtime.Stop(ctx, "c4"); err != nil {
			t.Fatalf("stop #%d: %v", i+1, err)
		}
	}
	h.WaitState(t, "c4", runtime.StateExited)
}

func testRemove(t *testing.T, h *Harness) {
	ctx := ctxFor(t)
	if err := h.Runtime.Remove(ctx, "missing"); err != nil {
		t.Fatalf("remove missing: %v", err)
	}
	h.MustRun(t, "c5")
	if err := h.Runtime.Remove(ctx, "c5"); err != nil { // running: forced
		t.Fatalf("remove running: %v", err)
	}
	h.WaitState(t, "c5", "")
	if err := h.Runtime.Remove(ctx, "c5"); err != nil {
		t.Fatalf("remove twice: %v", err)
	}
	if _, err := h.Runtime.Run(ctx, h.Spec("c5")); err != nil { // the name is free again
		t.Fatalf("run after remove: %v", err)
	}
}

func testExit(t *testing.T, h *Harness) {
	h.MustRun(t, "c6")
	h.WaitState(t, "c6", runtime.StateRunning)
	h.Exit(t, "c6", 3)
	in := h.WaitState(t, "c6", runtime.StateExited)
	switch {
	case h.ReportsExitCodes && (in.ExitCode == nil || *in.ExitCode != 3):
		t.Fatalf("exit code %s, want 3", code(in.ExitCode))
	case !h.ReportsExitCodes && in.ExitCode != nil:
		t.Fatalf("exit code %s, want unknown", code(in.ExitCode))
	}
}

func code(c *int) string {
	if c == nil {
		return "unknown"
	}
	return fmt.Sprint(*c)
}

func testVersion(t *testing.T, h *Harness) {
	v, err := h.Runtime.Version(ctxFor(t))
	if err != nil || v == "" {
		t.Fatalf("version=%q err=%v", v, err)
	}
}

// UIDs returns the uids of a list, sorted.
func UIDs(list []runtime.Instance) []string {
	out := make([]string, 0, len(list))
	for _, in := range list {
		out = append(out, in.UID)
	}
	slices.Sort(out)
	return out
}

func testRemoveInstance(t *testing.T, h *Harness) {
	ctx := ctxFor(t)
	h.MustRun(t, "c7")
	in := h.WaitState(t, "c7", runtime.StateRunning)
	if err := h.Runtime.RemoveInstance(ctx, in.ID); err != nil { // running: forced
		t.Fatalf("remove instance %s: %v", in.ID, err)
	}
	h.WaitState(t, "c7", "")
	if err := h.Runtime.RemoveInstance(ctx, in.ID); err != nil {
		t.Fatalf("remove instance twice: %v", err)
	}
	if err := h.Runtime.RemoveInstance(ctx, "velos-no-such-instance"); err != nil {
		t.Fatalf("remove missing instance: %v", err)
	}
	if err := h.Runtime.RemoveInstance(ctx, "--all"); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("remove instance \"--all\": err=%v, want ErrInvalid", err)
	}
}

// NewStoreID returns a store id no other test uses, so that listing by
// label never shows another test's containers on a shared host.
func NewStoreID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "st" + hex.EncodeToString(b)
}

// testListByStoreLabel: a backend with another prefix lists the containers
// of its store by label, under their old name, with the uid of their label,
// and removes them by id; another store's containers it does not list.
func testListByStoreLabel(t *testing.T, h *Harness) {
	if h.Reopen == nil {
		t.Skip("the harness cannot reopen the host with another prefix")
	}
	ctx := ctxFor(t)
	ours, theirs := NewStoreID(), NewStoreID()
	for uid, store := range map[string]string{"l1": ours, "l2": theirs} {
		spec := h.Spec(uid)
		spec.StoreID = store
		if _, err := h.Runtime.Run(ctx, spec); err != nil {
			t.Fatalf("run %s: %v", uid, err)
		}
		t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), uid) })
	}
	old := h.WaitState(t, "l1", runtime.StateRunning)
	other := h.Reopen(t, ours, true)
	list, err := other.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := UIDs(list); !slices.Equal(got, []string{"l1"}) {
		t.Fatalf("listed uids %v under another prefix, want [l1] (ours by label, not another store's)", got)
	}
	in := list[0]
	if in.Name != old.Name || !in.Renamed || in.StoreID() != ours || in.State != runtime.StateRunning {
		t.Fatalf("listed %+v, want name %s, Renamed, store %s, running", in, old.Name, ours)
	}
	if err := other.RemoveInstance(ctx, in.ID); err != nil {
		t.Fatalf("remove by id under another prefix: %v", err)
	}
	h.WaitState(t, "l1", "")
	if h.Find(t, "l2") == nil {
		t.Fatal("another store's container went with it")
	}
}
