package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// watchedActions are the container events that mean ours may need a launch:
// its process died (an OOM kill is followed by a die, but is sent too) or
// someone removed it ("destroy"; podman's service says "remove"). They are
// picked here rather than by an event filter: podman 4's service reads that
// filter in its own names ("died") and Docker in its own ("die"), so no one
// filter suits both. The label filter, which both honour, keeps the rest of
// the host's events off the stream.
var watchedActions = []events.Action{events.ActionDie, events.ActionOOM, events.ActionDestroy, events.ActionRemove}

// Watch streams the API's /events for deaths and removals of our containers
// and sends them to ch as EventDied until ctx ends or the stream breaks. It
// then returns the error; the scheduler restarts it with a growing wait,
// logs the break and runs a pass to cover what the gap hid. With StoreID set
// the server filters to this store's label, so other containers' events are
// never sent to us; without it, every container event on the host is read
// and those not named with our prefix dropped.
func (r *Runtime) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := make(client.Filters).Add("type", string(events.ContainerEventType))
	if r.StoreID != "" {
		f.Add("label", runtime.LabelStore+"="+r.StoreID)
	}
	since := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	res := r.c.Events(ctx, client.EventsListOptions{Since: since, Filters: f})
	for {
		select {
		case msg := <-res.Messages:
			ev, ok := r.event(msg)
			if !ok {
				continue
			}
			select {
			case ch <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		case err := <-res.Err:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil || errors.Is(err, io.EOF) {
				return fmt.Errorf("docker events at %s: the stream ended", r.host)
			}
			return r.translate(err, "events")
		}
	}
}

// event reads one message; ok is false for one that is not about a
// container of ours (by name prefix, or by this store's label and a uid).
func (r *Runtime) event(m events.Message) (runtime.Event, bool) {
	if m.Type != events.ContainerEventType {
		return runtime.Event{}, false
	}
	if !slices.Contains(watchedActions, m.Action) {
		return runtime.Event{}, false
	}
	attrs := m.Actor.Attributes
	uid, ok := runtime.UIDFromName(r.Prefix, attrs["name"])
	if !ok {
		uid = attrs[runtime.LabelUID]
		if r.StoreID == "" || attrs[runtime.LabelStore] != r.StoreID || uid == "" {
			return runtime.Event{}, false
		}
	}
	if len(uid) > vspec.MaxUIDLen {
		// No spec has such a uid: not ours, and not to be held while the
		// pass it would ask for waits (a value may be 1 MiB long).
		return runtime.Event{}, false
	}
	ev := runtime.Event{Kind: runtime.EventDied, UID: uid}
	if m.Action == events.ActionDie {
		if code, err := strconv.Atoi(attrs["exitCode"]); err == nil {
			ev.ExitCode = &code
		}
	}
	return ev, true
}
