package apple

import (
	"context"
	"sync"

	"github.com/veloslet/veloslet/runtime"
)

// An apiserver restart (its crash, `container system stop` and start, a
// reboot or a logout) loads every container from disk as stopped with no
// startedDate (ContainersService.loadAtBoot, every tag), although a VM
// may still be running: `stop` then does nothing and only `delete` ends it
// (apple/container #2286). An exited container whose startedDate is gone
// was stopped by that, not by its process: List marks it ServiceRestarted,
// so the supervisor removes and runs it (never a start in place beside the
// old VM) and counts no failure. A container ends with its startedDate
// kept (handleContainerExit keeps it), and every container of ours was
// started by `run`, so the mark is exact from 0.8, the first release with
// startedDate. Up to 0.7 the list has no dates; there the mark goes on every
// exited instance of the first List after the backend met the service down.

// restarts remembers that the service was seen down.
type restarts struct {
	mu      sync.Mutex
	sawDown bool
}

// seenDown records a call that found the service down.
func (s *restarts) seenDown() {
	s.mu.Lock()
	s.sawDown = true
	s.mu.Unlock()
}

// markRestarted sets ServiceRestarted on the instances of a pass's list that
// an apiserver restart stopped (see above).
func (r *Runtime) markRestarted(ctx context.Context, list []runtime.Instance) {
	r.rs.mu.Lock()
	sawDown := r.rs.sawDown
	r.rs.sawDown = false
	r.rs.mu.Unlock()
	dated := true // whether this release lists startedDate: asked only when it matters
	for i := range list {
		in := &list[i]
		if in.State != runtime.StateExited {
			continue
		}
		if in.StartedAt.IsZero() && dated {
			if v, err := r.detectVersion(ctx); err == nil && v.less(semver{0, 8, 0}) {
				dated = false
			}
		}
		in.ServiceRestarted = sawDown || (dated && in.StartedAt.IsZero())
	}
}
