package podman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.UntilLogger = (*Runtime)(nil)

// LogsUntil reports whether Logs honours LogOptions.Until by this host's
// clock: podman stamps each line by the clock of the host it runs on (this
// one, if Local), and `podman start` keeps a container's log file.
func (r *Runtime) LogsUntil(ctx context.Context) bool { return r.Local(ctx) }

// Logs writes container id's output with `podman logs [--tail N] [--until
// T] [--follow] ID`, which reads it after the container exited too, until it
// is removed. Podman takes the tail before it leaves out what came after
// Until, so output written after Until takes its place in the tail.
// A container that is not there is told by `podman container exists`'s exit
// code, not by the wording of the failure: ErrNotFound.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	args := []string{"logs"}
	if opts.Tail > 0 {
		args = append(args, "--tail", strconv.Itoa(opts.Tail))
	}
	if !opts.Until.IsZero() {
		args = append(args, "--until", opts.Until.UTC().Format(time.RFC3339Nano))
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
