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

// Logs writes container id's output with `podman logs [--tail N] [--follow]
// ID`, which reads it after the container exited too, until it is removed;
// with Until, through logsUntil. A container that is not there is told by
// `podman container exists`'s exit code, not by the wording of the failure:
// ErrNotFound.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	var err error
	if opts.Until.IsZero() || opts.Follow {
		err = r.logs(ctx, id, opts, w)
	} else {
		err = r.logsUntil(ctx, id, opts, w)
	}
	var ce *cli.Error
	if errors.As(err, &ce) {
		if there, xerr := r.exists(context.WithoutCancel(ctx), string(id)); xerr == nil && !there {
			return fmt.Errorf("%w: %s", runtime.ErrNotFound, err)
		}
	}
	return err
}

func (r *Runtime) logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	args := sinceArgs([]string{"logs"}, opts)
	if opts.Tail > 0 {
		args = append(args, "--tail", strconv.Itoa(opts.Tail))
	}
	if opts.Timestamps {
		args = append(args, "--timestamps")
	}
	timeout := r.readTimeout(ctx)
	if opts.Follow {
		args, timeout = append(args, "--follow"), 0
	}
	return r.Stream(ctx, timeout, translate, w, append(args, "--", string(id))...)
}

// sinceArgs adds --since for opts.Since: podman then leaves out the output
// of the container's earlier runs before it takes the tail.
func sinceArgs(args []string, opts runtime.LogOptions) []string {
	if opts.Since.IsZero() {
		return args
	}
	return append(args, "--since", opts.Since.UTC().Format(time.RFC3339Nano))
}

// readTimeout is the own deadline of a logs read: none when the caller set
// one (the crash log's [logs] timeout, longer or shorter than ours), else
// CallTimeout.
func (r *Runtime) readTimeout(ctx context.Context) time.Duration {
	if _, ok := ctx.Deadline(); ok {
		return 0
	}
	return r.CallTimeout
}

// untilWindows bounds how far back logsUntil looks: a tail of 2, 4, 8 and
// at most 16 times the lines asked for.
const untilWindows = 4

// logsUntil writes the last opts.Tail lines (all, if 0) of id's output
// written before opts.Until. Podman's --until cannot do it: podman takes the
// tail before it cuts at --until, so what the container wrote since (a
// crash loop started again prints its output again at once) takes places
// in the tail. So each line's time is asked for (--timestamps) and the cut
// made here, over a tail twice as long as asked; when the lines before
// Until are too few and the tail came back full, over one twice as long
// again, up to untilWindows reads. The lines kept are always the newest
// before Until; past the last window they may be fewer than asked.
func (r *Runtime) logsUntil(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	window := 2 * opts.Tail
	for n := 1; ; n, window = n+1, window*2 {
		args := sinceArgs([]string{"logs", "--timestamps"}, opts)
		if opts.Tail > 0 {
			args = append(args, "--tail", strconv.Itoa(window))
		}
		cut := newUntilCut(opts.Until, opts.Tail)
		if err := r.Stream(ctx, r.readTimeout(ctx), translate, cut, append(args, "--", string(id))...); err != nil {
			return err
		}
		cut.end()
		if opts.Tail == 0 || cut.before >= opts.Tail || cut.total < window || n == untilWindows {
			return cut.writeTo(w)
		}
	}
}
