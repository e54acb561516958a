package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// translate maps the API's failures onto runtime's errors by their HTTP
// status (which the client turns into errdefs classes), never by wording;
// the server's message is kept for the operator.
func (r *Runtime) translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case unreachable(err):
		return fmt.Errorf("%w: docker %s at %s: %w", runtime.ErrUnavailable, what, r.host, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("docker %s at %s: no answer in time: %w", what, r.host, err)
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: docker %s: %w", runtime.ErrNotFound, what, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w: docker %s: %w", runtime.ErrExists, what, err)
	case cerrdefs.IsInvalidArgument(err):
		return fmt.Errorf("%w: docker %s: %w", runtime.ErrInvalid, what, err)
	}
	return fmt.Errorf("docker %s: %w", what, err)
}

// unreachable reports a server that is not there: no socket, nobody
// listening, or the connection dropped.
func unreachable(err error) bool {
	if client.IsErrConnectionFailed(err) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist)
}

func isNotFound(err error) bool { return err != nil && cerrdefs.IsNotFound(err) }

// isMissingImage reports a create refused for want of its image: the API
// answers 404 only for that (a taken name is 409).
func isMissingImage(err error) bool { return isNotFound(err) }
