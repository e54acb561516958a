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

// seen is what Watch last saw of an instance.
type seen struct {
	running bool
	started time.Time
}

// Watch sends a died event for every instance it sees exit, until ctx ends,
// as a runtime's event stream reports every death: one that went from
// running to exited, and one that exited again after a start between two
// looks (started in place under the same id, or run anew under a new one).
func (r *Runtime) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	last := map[runtime.InstanceID]seen{}
	tick := time.NewTicker(WatchInterval)
	defer tick.Stop()
	for first := true; ; first = false {
		list, err := r.Real().List(ctx)
		if err != nil {
			return err
		}
		next := make(map[runtime.InstanceID]seen, len(list))
		for _, in := range list {
			now := seen{running: in.State == runtime.StateRunning, started: in.StartedAt}
			next[in.ID] = now
			prev, known := last[in.ID]
			if now.running || first || (known && !prev.running && prev.started.Equal(now.started)) {
				continue
			}
			select {
			case ch <- runtime.Event{Kind: runtime.EventDied, UID: in.UID, ExitCode: in.ExitCode}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		last = next
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
