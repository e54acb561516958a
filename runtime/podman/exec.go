package podman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.Execer = (*Runtime)(nil)

// ownFailure reports an exit code of `podman exec` that may be podman's
// own, not the command's: 125 (podman-exec(1): podman failed, a missing
// container too) and 255, which podman 4.3 gives a stopped container
// ("can only create exec sessions on running containers"). 126 and 127 are
// the command's failures to start and stay the command's code, as a health
// check reads them.
func ownFailure(code int) bool { return code == 125 || code == 255 }

// Exec runs cmd in uid's container with `podman exec -- NAME CMD…`: the
// "--" ends podman's options, so nothing of cmd is read as one. Its output
// streams to out. An exit that may be podman's own gets a second look that
// tells a missing container (ErrNotFound) and a stopped one
// (ErrNotRunning) from anything else. When ctx ends the podman client is
// killed; the command inside may run on until it ends by itself.
func (r *Runtime) Exec(ctx context.Context, uid string, cmd []string, out io.Writer) (int, error) {
	if err := runtime.CheckExec(uid, cmd); err != nil {
		return -1, err
	}
	name := runtime.Name(r.Prefix, uid)
	err := r.Stream(ctx, r.readTimeout(ctx), translate, out, append([]string{"exec", "--", name}, cmd...)...)
	var ce *cli.Error
	switch {
	case err == nil:
		return 0, nil
	case !errors.As(err, &ce):
		return -1, err
	case !ownFailure(ce.ExitCode):
		return ce.ExitCode, nil
	}
	look := context.WithoutCancel(ctx) // r.call bounds each look by CallTimeout
	there, xerr := r.exists(look, name)
	switch {
	case xerr != nil:
		return -1, err
	case !there:
		return -1, fmt.Errorf("%w: %s", runtime.ErrNotFound, err)
	}
	state, serr := r.call(look, r.CallTimeout, "container", "inspect", "--format", "{{.State.Running}}", name)
	switch {
	case serr != nil:
		return -1, err
	case strings.TrimSpace(string(state)) == "false":
		return -1, fmt.Errorf("%w: %s", runtime.ErrNotRunning, err)
	case ce.ExitCode == 255:
		return ce.ExitCode, nil // the command's own 255
	}
	return -1, err
}
