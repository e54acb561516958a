package apple

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Logger = (*Runtime)(nil)

// Logs writes container id's output with `container logs [-n N] [--follow]
// ID` (both flags at every version from 0.1.0). The CLI reads the log file
// the service keeps for a container, running or stopped, until it is
// deleted. With -n it prints the last N lines that are not empty. A missing
// container is told by a second look with list: ErrNotFound.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	args := []string{"logs"}
	if opts.Tail > 0 {
		args = append(args, "-n", strconv.Itoa(opts.Tail))
	}
	timeout := r.CallTimeout
	if opts.Follow {
		args, timeout = append(args, "--follow"), 0
	}
	err := r.Stream(ctx, timeout, translate, w, append(args, string(id))...)
	var ce *CommandError
	if errors.As(err, &ce) {
		if there, lerr := r.present(context.WithoutCancel(ctx), string(id)); lerr == nil && !there {
			return fmt.Errorf("%w: %s", runtime.ErrNotFound, err)
		}
	}
	return err
}
