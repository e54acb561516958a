package fake

import (
	"context"
	"fmt"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Starter = (*Runtime)(nil)

// Start starts the container with runtime id again in place, as `podman
// start` does: same id, name and labels, a new start time, no exit code.
// Starting one that runs is no error. Returns runtime.ErrNotFound if no
// container has the id.
func (r *Runtime) Start(ctx context.Context, id runtime.InstanceID) error {
	if r.StartFunc != nil {
		return r.StartFunc(ctx, id)
	}
	return r.call(ctx, "start", func() error {
		return r.b.update(func(st *state) error {
			for _, c := range st.Containers {
				if c.ID != string(id) {
					continue
				}
				if c.State != runtime.StateRunning {
					c = c.clone()
					c.State, c.ExitCode, c.StartedAt, c.Exec = runtime.StateRunning, nil, r.Now().UTC(), nil
					st.put(c)
				}
				return nil
			}
			return fmt.Errorf("start %s: %w", id, runtime.ErrNotFound)
		})
	})
}
