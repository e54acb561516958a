package docker

import (
	"context"
	"io"
	"strconv"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// Logs writes container id's output to w from the logs endpoint. Our
// containers never have a TTY, so the stream is multiplexed; stdcopy splits
// it, and both halves go to w in the order the server sent them.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	if !opts.Follow {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.CallTimeout)
		defer cancel()
	}
	lo := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: "all"}
	if opts.Tail > 0 {
		lo.Tail = strconv.Itoa(opts.Tail)
	}
	rc, err := r.c.ContainerLogs(ctx, string(id), lo)
	if err != nil {
		return r.translate(err, "logs "+string(id))
	}
	defer func() { _ = rc.Close() }()
	if _, err := stdcopy.StdCopy(w, w, rc); err != nil && ctx.Err() == nil {
		return r.translate(err, "logs "+string(id))
	}
	return nil
}
