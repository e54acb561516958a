package podman

import (
	"context"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Starter = (*Runtime)(nil)

// Start starts the exited container id again in place with `podman start`,
// keeping its id, labels and logs. Starting a running one is no error. A
// failure is told apart from a gone container by a second look, by exit
// code (`container exists`), never by podman's wording: ErrNotFound then.
func (r *Runtime) Start(ctx context.Context, id runtime.InstanceID) error {
	_, err := r.call(ctx, r.RunTimeout, "start", "--", string(id))
	if err == nil {
		return nil
	}
	if there, xerr := r.exists(context.WithoutCancel(ctx), string(id)); xerr == nil && !there {
		return fmt.Errorf("%w: %w", runtime.ErrNotFound, err)
	}
	return err
}
