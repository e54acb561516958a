package e2e

import (
	"context"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/spec"
)

// bareRuntime is what the bare supervisor uses of a backend.
type bareRuntime interface {
	runtime.Runtime
	runtime.Watcher
	runtime.Starter
}

// bareUID is the bare supervisor's one container.
const bareUID = "bare"

// startBare runs the floor of any supervisor outside the runtime beside the
// benchmark: one container launched through the backend under test (so it
// has what ours have: the same network, labels and log driver), started
// again with the backend's Start on every event about it, and nothing in
// between: no store, plan, record or crash log. Its kill → running is what
// the runtime's event stream and its start cost; what veloslet takes beyond
// it is veloslet's own. host is the API server's (docker), "" for podman.
// stop ends it and removes its container (so the idle part measures serve
// alone); cleanup calls it too.
func (b *bench) startBare(host, token string) (stop func()) {
	b.t.Helper()
	rt := b.bareRuntime(host)
	ctx, cancel := context.WithCancel(context.Background())
	var (
		once sync.Once
		wg   sync.WaitGroup
	)
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			_ = rt.Remove(context.Background(), bareUID)
			if c, ok := rt.(interface{ Close() error }); ok {
				_ = c.Close()
			}
		})
	}
	b.t.Cleanup(stop)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: bareUID, Container: spec.Container{Image: podmantest.Image, Command: []string{"sleep", token}}})
	if err != nil {
		b.t.Fatalf("bare supervisor: run: %v", err)
	}
	ch := make(chan runtime.Event, 16)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_ = rt.Watch(ctx, ch)
			select { // a stream that ends is opened again, as serve's is
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-ch:
				if ev.UID == bareUID {
					startRetrying(ctx, rt, id)
				}
			}
		}
	}()
	return stop
}

// startRetrying starts id, again every 100 ms while the runtime refuses
// (podman may still be cleaning the container up), until ctx ends. One
// already running is no error.
func startRetrying(ctx context.Context, rt bareRuntime, id runtime.InstanceID) {
	for rt.Start(ctx, id) != nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func bareRuntimePrefix(prefix string) string { return "bare-" + prefix }

// bareRuntime is a backend like serve's, with a prefix of its own.
func (b *bench) bareRuntime(host string) bareRuntime {
	prefix := bareRuntimePrefix(b.rt.Prefix)
	if host == "" {
		rt := podman.New(b.rt.Binary)
		rt.Env, rt.Prefix = b.rt.Env, prefix
		return rt
	}
	rt, err := docker.New(host)
	if err != nil {
		b.t.Fatalf("bare supervisor: %v", err)
	}
	rt.Prefix = prefix
	return rt
}
