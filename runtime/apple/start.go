package apple

import (
	"context"
	"errors"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Starter = (*Runtime)(nil)

// Start starts the stopped container id again in place with `container
// start` (detached, the CLI's default), keeping its id and labels but not
// its output: the start opens the container's stdio.log with O_TRUNC at
// every release, so what the previous run wrote is gone. Read it before
// (Runtime is no runtime.UntilLogger, so the supervisor does).
// Starting a running one is no error: the CLI prints its id and exits 0.
// The CLI exits 1 for every failure, so a gone container is told by a
// second look with `list`, not by the message: ErrNotFound then.
func (r *Runtime) Start(ctx context.Context, id runtime.InstanceID) error {
	_, err := r.call(ctx, r.RunTimeout, "start", string(id))
	if err == nil {
		return nil
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		if there, lerr := r.present(context.WithoutCancel(ctx), string(id)); lerr == nil && !there {
			return fmt.Errorf("%w: %w", runtime.ErrNotFound, err)
		}
	}
	return err
}
