package fake_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/fake/faketest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store/storetest"
)

func TestContract_Memory(t *testing.T) {
	runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness { return faketest.Harness(fake.New()) })
}

func TestContract_File(t *testing.T) {
	runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness {
		rt, err := fake.Open(filepath.Join(t.TempDir(), "fake.json"))
		if err != nil {
			t.Fatal(err)
		}
		return faketest.Harness(rt)
	})
}

// TestOpen_SharedBetweenOpeners shows that two fakes on one state file see one host,
// as two processes would.
func TestOpen_SharedBetweenOpeners(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fake.json")
	a, err := fake.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fake.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "img"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "img"}, StoreID: "s"}); !errors.Is(err, runtime.ErrExists) {
		t.Fatalf("second opener ran a duplicate: err=%v", err)
	}
	if err := b.SetExited("x", 7); err != nil {
		t.Fatal(err)
	}
	list, _ := a.List(ctx)
	if len(list) != 1 || list[0].State != runtime.StateExited || *list[0].ExitCode != 7 {
		t.Fatalf("list=%+v, want x exited 7", list)
	}
}

func TestRuntime_ListOnlyOurPrefix(t *testing.T) {
	rt := fake.New()
	if err := rt.Put(fake.Container{Name: "buildkit", Image: "builder"}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Put(fake.Container{Name: "velos-hand", Image: "img"}); err != nil {
		t.Fatal(err)
	}
	list, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := runtimetest.UIDs(list); len(got) != 1 || got[0] != "hand" {
		t.Fatalf("uids=%v, want [hand]", got)
	}
}

func TestRuntime_CopiesOnTheWayOut(t *testing.T) {
	rt := fake.New()
	ctx := context.Background()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "img"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	list, _ := rt.List(ctx)
	list[0].Labels[runtime.LabelStore] = "tampered"
	list, _ = rt.List(ctx)
	if got := list[0].StoreID(); got != "s" {
		t.Fatalf("store label=%q after a caller changed its copy", got)
	}
}

func TestRuntime_Overrides(t *testing.T) {
	rt := fake.New()
	boom := errors.New("boom")
	rt.ListFunc = func(context.Context) ([]runtime.Instance, error) { return nil, boom }
	if _, err := rt.List(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("err=%v, want the override's", err)
	}
	if _, err := rt.Real().List(context.Background()); err != nil {
		t.Fatalf("Real() still overridden: %v", err)
	}
}

func TestRuntime_Watch(t *testing.T) {
	rt := fake.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan runtime.Event, 1)
	done := make(chan error, 1)
	go func() { done <- rt.Watch(ctx, ch) }()
	// An exit before the watcher's first look is not reported, so launch and
	// kill fresh instances until one is, within a deadline.
	var ev runtime.Event
	storetest.RetryUntil(t, time.Millisecond, 10*time.Second, func() error {
		_ = rt.Remove(ctx, "x")
		if _, err := rt.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "img"}, StoreID: "s"}); err != nil {
			return err
		}
		<-time.After(2 * fake.WatchInterval) // give the watcher a look at it running; retried if too short
		if err := rt.SetExited("x", 9); err != nil {
			return err
		}
		select {
		case ev = <-ch:
			return nil
		case <-time.After(3 * fake.WatchInterval):
			return errors.New("no died event")
		}
	})
	if ev.Kind != runtime.EventDied || ev.UID != "x" || ev.ExitCode == nil || *ev.ExitCode != 9 {
		t.Fatalf("event=%+v, want x died with 9", ev)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v after cancel", err)
	}
}

// TestRuntime_WatchSeesDeathAfterQuickStart: an instance started in place
// and dead again between two of the watcher's looks is a second death, as a
// runtime's event stream would report it.
func TestRuntime_WatchSeesDeathAfterQuickStart(t *testing.T) {
	rt := fake.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "img"}, StoreID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan runtime.Event, 4)
	go func() { _ = rt.Watch(ctx, ch) }()
	// An exit before the watcher's first look is not reported: start and
	// kill x until one is, within a deadline.
	var first runtime.Event
	storetest.RetryUntil(t, time.Millisecond, 10*time.Second, func() error {
		if err := rt.Start(ctx, id); err != nil {
			return err
		}
		<-time.After(2 * fake.WatchInterval) // give the watcher a look at it running; retried if too short
		if err := rt.SetExited("x", 1); err != nil {
			return err
		}
		select {
		case first = <-ch:
			return nil
		case <-time.After(3 * fake.WatchInterval):
			return errors.New("no died event")
		}
	})
	// Started and dead again faster than the watcher looks: the start time tells.
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("x", 2); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if first.ExitCode == nil || *first.ExitCode != 1 || ev.ExitCode == nil || *ev.ExitCode != 2 {
			t.Fatalf("events %+v then %+v, want exit 1 then exit 2", first, ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event for the second death")
	}
}
