package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Execer = (*Runtime)(nil)

// Exec runs cmd in uid's container through the API's exec endpoints:
// create, start attached (its multiplexed output demuxed to out as it
// comes), then inspect for the exit code. The attached connection is
// closed when ctx ends, which ends the call; the command inside may run on
// until it ends by itself (the API has no way to kill an exec). Without a
// deadline on ctx it runs under CallTimeout. A stopped container's exec is
// refused (see execRefused): ErrNotRunning.
func (r *Runtime) Exec(ctx context.Context, uid string, cmd []string, out io.Writer) (int, error) {
	if err := runtime.CheckExec(uid, cmd); err != nil {
		return -1, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.CallTimeout)
		defer cancel()
	}
	name := runtime.Name(r.Prefix, uid)
	what := "exec " + name
	created, err := r.c.ExecCreate(ctx, name, client.ExecCreateOptions{AttachStdout: true, AttachStderr: true, Cmd: cmd})
	if err != nil {
		return -1, r.execRefused(ctx, name, what, err)
	}
	att, err := r.c.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return -1, r.execRefused(ctx, name, what, err)
	}
	// The hijacked connection outlives the request's ctx: close it when
	// ctx ends, so a command that hangs cannot hold the call.
	stop := context.AfterFunc(ctx, att.Close)
	err = demux(out, att.Reader)
	stop()
	att.Close()
	if ctx.Err() != nil {
		return -1, fmt.Errorf("docker %s: not done in time: %w", what, ctx.Err())
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return -1, fmt.Errorf("docker %s: %w", what, err)
	}
	// The stream ends as the command ends; the server may record its exit
	// code a moment later, so inspect until it no longer runs.
	for {
		in, err := r.c.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return -1, r.translate(err, what)
		}
		if !in.Running {
			return in.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("docker %s: not done in time: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// execRefused translates a refused exec. Docker refuses a stopped
// container's with a conflict, podman's API service with a server error
// ("container state improper"): whatever the status, a second look at the
// container tells a stopped one (ErrNotRunning) from any other failure.
func (r *Runtime) execRefused(ctx context.Context, name, what string, err error) error {
	if cerrdefs.IsNotFound(err) || unreachable(err) {
		return r.translate(err, what)
	}
	look, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.CallTimeout)
	defer cancel()
	in, ierr := r.c.ContainerInspect(look, name, client.ContainerInspectOptions{})
	if ierr == nil && in.Container.State != nil && !in.Container.State.Running {
		return fmt.Errorf("%w: docker %s: %w", runtime.ErrNotRunning, what, err)
	}
	return r.translate(err, what)
}
