package apple_test

import (
	"context"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
)

// TestWatch_Emulator: the poll sees a death of ours (an exit, then a
// removal of a running one) and says nothing of a container that is not
// ours, nor of what was already dead at its first look.
func TestWatch_Emulator(t *testing.T) {
	for _, v := range []string{"0.6.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			rt, state := appletest.New(t, v)
			rt.Poll, rt.PollMax = 20*time.Millisecond, 80*time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, uid := range []string{"a", "b", "dead"} {
				if _, err := rt.Run(ctx, runtime.RunSpec{UID: uid, Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
					t.Fatal(err)
				}
			}
			appletest.Exit(t, rt, state, v, "dead", 1)
			calls := appletest.LogCalls(t, rt)
			ch := make(chan runtime.Event, 8)
			done := make(chan error, 1)
			go func() { done <- rt.Watch(ctx, ch) }()
			// The first look is the baseline: wait for it before any death.
			waitFor(t, func() bool { return calls.Count(t, "list") > 0 })
			hand := apple.New(rt.Binary)
			hand.Env, hand.Prefix = rt.Env, "hand-" // a container not ours, under another prefix
			if _, err := hand.Run(ctx, runtime.RunSpec{UID: "x", Container: spec.Container{Image: "alpine"}}); err != nil {
				t.Fatal(err)
			}
			appletest.Exit(t, hand, state, v, "x", 1)
			appletest.Exit(t, rt, state, v, "a", 3)
			if ev := next(t, ch); ev.UID != "a" || ev.Kind != runtime.EventDied {
				t.Fatalf("event %+v, want a died", ev)
			}
			if err := rt.Remove(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if ev := next(t, ch); ev.UID != "b" {
				t.Fatalf("event %+v, want b died (removed while running)", ev)
			}
			cancel()
			if err := <-done; err != context.Canceled {
				t.Fatalf("Watch returned %v, want context.Canceled", err)
			}
			select {
			case ev := <-ch:
				t.Fatalf("unexpected event %+v", ev)
			default:
			}
		})
	}
}

// TestWatch_ToleratesFailedLists: a list that fails now and then is a missed
// look, not the end of the watch; a death is still seen.
func TestWatch_ToleratesFailedLists(t *testing.T) {
	rt, state := appletest.New(t, "1.2.2")
	rt.Poll, rt.PollMax = 20*time.Millisecond, 40*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "a", Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	calls := appletest.LogCalls(t, rt)
	ch := make(chan runtime.Event, 8)
	done := make(chan error, 1)
	go func() { done <- rt.Watch(ctx, ch) }()
	waitFor(t, func() bool { return calls.Count(t, "list") > 0 })
	// 30% of calls fail, never five lists in a row with this seed.
	emuVerb(t, rt.Env, "emu-faults", "rate=0.3,kinds=fail,seed=1")
	appletest.Exit(t, rt, state, "1.2.2", "a", 1)
	if ev := next(t, ch); ev.UID != "a" {
		t.Fatalf("event %+v, want a died", ev)
	}
	emuVerb(t, rt.Env, "emu-faults", "off")
	select {
	case err := <-done:
		t.Fatalf("Watch ended: %v", err)
	default:
	}
	cancel()
	if err := <-done; err != context.Canceled { // its last call ends before the state folder is removed
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
}

func emuVerb(t *testing.T, env []string, args ...string) {
	t.Helper()
	if _, stderr, code := emu(t, env, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
}

func next(t *testing.T, ch <-chan runtime.Event) runtime.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30s")
	}
	return runtime.Event{}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}
