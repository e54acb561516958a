package docker_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/spec"
)

func nextEvent(t *testing.T, ch <-chan runtime.Event, errc <-chan error) runtime.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case err := <-errc:
		t.Fatalf("watch ended: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no event within a minute")
	}
	return runtime.Event{}
}

// A death arrives with its exit code, a removal as a death too, and another
// store's containers are not sent.
func TestWatch(t *testing.T) {
	rt, s := dockertest.New(t)
	rt.StoreID = rt.Prefix + "s1" // of this test alone: a shared server sees other tests' containers
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, errc, entered := make(chan runtime.Event, 16), make(chan error, 1), make(chan struct{})
	var restarts atomic.Int32
	go func() {
		close(entered)
		// Podman's API service may end the stream on a loaded machine; the
		// scheduler then watches again from a second before, as this does.
		for {
			err := rt.Watch(ctx, ch)
			if ctx.Err() != nil || restarts.Add(1) > 3 {
				errc <- err
				return
			}
			t.Logf("watching again after: %v", err)
		}
	}()
	// Watch asks for events since a second before it was called, so a death
	// after this point is sent even if it comes before the stream is open.
	<-entered
	other := s.Runtime(t)
	spec := func(uid, store string) runtime.RunSpec {
		return runtime.RunSpec{UID: uid, Container: spec.Container{Image: dockertest.Image, Command: dockertest.ExitCommand}, StoreID: store}
	}
	if _, err := other.Run(ctx, spec("theirs", rt.Prefix+"s2")); err != nil {
		t.Fatal(err)
	}
	dockertest.Exit(t, other, "theirs", 5)
	if _, err := rt.Run(ctx, spec("a", rt.StoreID)); err != nil {
		t.Fatal(err)
	}
	dockertest.Exit(t, rt, "a", 7)
	ev := nextEvent(t, ch, errc)
	if ev.Kind != runtime.EventDied || ev.UID != "a" || ev.ExitCode == nil || *ev.ExitCode != 7 {
		t.Fatalf("event %+v (code %v): want a's death with code 7", ev, ev.ExitCode)
	}
	if err := rt.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, ch, errc)
	if ev.Kind != runtime.EventDied || ev.UID != "a" || ev.ExitCode != nil {
		t.Fatalf("event %+v: want a's removal, with no code", ev)
	}
	select {
	case ev := <-ch:
		if restarts.Load() == 0 { // a watch begun again may send an event again
			t.Fatalf("unexpected event %+v", ev)
		}
	default:
	}
}

// When the server goes away the stream's error is returned, as
// ErrUnavailable, for the scheduler to log and restart.
func TestWatchStreamBreaks(t *testing.T) {
	s := dockertest.Start(t)
	if s.Stop == nil {
		t.Skip("the server is " + dockertest.HostEnv + "'s, which this test cannot stop")
	}
	rt := s.Runtime(t)
	ch, errc := make(chan runtime.Event, 16), make(chan error, 1)
	go func() { errc <- rt.Watch(context.Background(), ch) }()
	// A death's event shows the stream open, so the break is the stream's
	// and not the dial's.
	if _, err := rt.Run(ctxT(t), runtime.RunSpec{UID: "a", Container: spec.Container{Image: dockertest.Image, Command: dockertest.ExitCommand}}); err != nil {
		t.Fatal(err)
	}
	dockertest.Exit(t, rt, "a", 1)
	nextEvent(t, ch, errc)
	if err := rt.Remove(ctxT(t), "a"); err != nil { // while the server is there to remove it
		t.Fatal(err)
	}
	s.Stop()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("watch returned nil after the server stopped")
		}
		t.Logf("watch returned: %v", err)
		if err2 := rt.Watch(context.Background(), make(chan runtime.Event)); !errors.Is(err2, runtime.ErrUnavailable) {
			t.Fatalf("watch with the server gone: %v, want ErrUnavailable", err2)
		}
	case <-time.After(time.Minute):
		t.Fatal("watch still running a minute after the server stopped")
	}
}
