package fake

import (
	"context"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Watcher = (*Runtime)(nil)

// WatchInterval is how often Watch looks for instances that died. The fake
// polls its state (which other processes may change through the state file),
// where a real runtime streams events.
const WatchInterval = 200 * time.Millisecond

// Watch sends a died event for every instance it sees go from running to
// exited, until ctx ends.
func (r *Runtime) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	running := map[runtime.InstanceID]bool{}
	tick := time.NewTicker(WatchInterval)
	defer tick.Stop()
	for first := true; ; first = false {
		list, err := r.Real().List(ctx)
		if err != nil {
			return err
		}
		next := make(map[runtime.InstanceID]bool, len(list))
		for _, in := range list {
			if in.State == runtime.StateRunning {
				next[in.ID] = true
				continue
			}
			if running[in.ID] && !first {
				select {
				case ch <- runtime.Event{Kind: runtime.EventDied, UID: in.UID, ExitCode: in.ExitCode}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		running = next
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
