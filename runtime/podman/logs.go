package podman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.Logger = (*Runtime)(nil)

// Logs writes container id's output with `podman logs [--tail N] [--follow]
// ID`, which reads it after the container exited too, until it is removed.
// A container that is not there is told by `podman container exists`'s exit
// code, not by the wording of the failure: ErrNotFound.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	args := []string{"logs"}
	if opts.Tail > 0 {
		args = append(args, "--tail", strconv.Itoa(opts.Tail))
	}
	timeout := r.CallTimeout
	if opts.Follow {
		args, timeout = append(args, "--follow"), 0
	}
	err := r.Stream(ctx, timeout, translate, w, append(args, "--", string(id))...)
	var ce *cli.Error
	if errors.As(err, &ce) {
		if there, xerr := r.exists(context.WithoutCancel(ctx), string(id)); xerr == nil && !there {
			return fmt.Errorf("%w: %s", runtime.ErrNotFound, err)
		}
	}
	return err
}
