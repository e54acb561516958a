package apple

import (
	"context"
	"errors"

	"github.com/veloslet/veloslet/runtime"
)

// Stop stops uid's container gracefully (see stopArgs). A missing one is not
// an error, whatever the version's wording (up to 0.10 it exits 0 silently;
// from 0.11 it fails).
func (r *Runtime) Stop(ctx context.Context, uid string) error {
	name := runtime.Name(r.Prefix, uid)
	args, deadline := r.stopArgs(name)
	_, err := r.call(ctx, deadline, args...)
	return r.settle(ctx, "stop", name, err)
}

// Remove stops uid's container gracefully, then deletes it. A missing one
// is not an error.
func (r *Runtime) Remove(ctx context.Context, uid string) error {
	return r.remove(ctx, runtime.Name(r.Prefix, uid))
}

// RemoveInstance stops the container with id (the CLI's id is its name)
// gracefully, then deletes it. A missing one is not an error.
func (r *Runtime) RemoveInstance(ctx context.Context, id runtime.InstanceID) error {
	if err := id.Check(); err != nil {
		return err
	}
	return r.remove(ctx, string(id))
}

// remove is `container stop -t T [-s SIG] NAME`, then `container delete
// --force NAME`. `delete --force` of a running container is a SIGKILL at
// every release, with no grace: the stop first gives the process its
// spec's stop_signal and stop_timeout (else the backend's StopSignal and
// StopTimeout; see stops.go) to end, as `docker rm` after `docker stop` would.
// Stopping a stopped container does nothing and exits 0, so the stop needs
// no look at the state first. A stop that fails for another reason does not
// keep the container: the delete still runs, and its outcome is the
// removal's. After an apiserver restart a running container's stop does
// nothing (apple/container #2286); the delete is what ends it.
func (r *Runtime) remove(ctx context.Context, name string) error {
	args, deadline := r.stopArgs(name)
	_, err := r.call(ctx, deadline, args...)
	var ce *CommandError
	switch {
	case errors.Is(err, runtime.ErrUnavailable) || ctx.Err() != nil:
		return err
	case errors.As(err, &ce) && gone("stop", name, ce):
		r.stops.forget(name)
		return nil // 0.11 on: the stop already said there is no such container
	}
	_, err = r.call(ctx, r.CallTimeout, "delete", "--force", name)
	if err = r.settle(ctx, "delete", name, err); err == nil {
		r.stops.forget(name)
	}
	return err
}
