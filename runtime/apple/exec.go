package apple

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Execer = (*Runtime)(nil)

// Exec runs cmd in uid's container with `container exec NAME CMD…`: the
// CLI takes everything after the container id as the process's arguments
// (ContainerExec.swift parses them for passthrough), so nothing of cmd is
// read as its option, and it exits with the process's code. Its own
// failures exit 1 too, so a non-zero exit gets a second look with list: a
// container missing (ErrNotFound) or stopped (ErrNotRunning) is told from
// a command that failed, whose code is returned. When ctx ends the CLI is
// killed; the process inside may run on until it ends by itself.
func (r *Runtime) Exec(ctx context.Context, uid string, cmd []string, out io.Writer) (int, error) {
	if err := runtime.CheckExec(uid, cmd); err != nil {
		return -1, err
	}
	name := runtime.Name(r.Prefix, uid)
	timeout := r.CallTimeout
	if _, ok := ctx.Deadline(); ok {
		timeout = 0
	}
	_, err := r.callService(ctx, func() ([]byte, error) {
		return nil, r.Stream(ctx, timeout, translate, out, append([]string{"exec", name}, cmd...)...)
	})
	var ce *CommandError
	if !errors.As(err, &ce) {
		if err != nil {
			return -1, err
		}
		return 0, nil
	}
	list, lerr := r.list(context.WithoutCancel(ctx))
	if lerr != nil {
		return ce.ExitCode, nil
	}
	for _, in := range list {
		if in.Name != name {
			continue
		}
		if in.State != runtime.StateRunning {
			return -1, fmt.Errorf("%w: %s", runtime.ErrNotRunning, err)
		}
		return ce.ExitCode, nil
	}
	return -1, fmt.Errorf("%w: %s", runtime.ErrNotFound, err)
}
