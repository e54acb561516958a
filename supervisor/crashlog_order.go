package supervisor

import (
	"context"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// crashLogFor keeps the output of the exited instance action a relaunches
// or replaces, before the action's calls as a rule: a removal destroys the
// runtime's copy. It returns what the calls run before a removal and the
// worker runs after them (started: the start in place succeeded): the read
// of an instance started in place on a runtime that keeps its output and
// can leave out what the new run writes (runtime.UntilLogger), up to the
// moment before the start. The start then waits for no read (a podman
// process, some 100 ms of a 2-core machine's time), and the read waits for
// the start. The host's clock, not the supervisor's: the runtime stamps the
// output by it.
func (s *Supervisor) crashLogFor(ctx context.Context, passID int64, a *Action) (after func(started bool)) {
	if ul, ok := s.Runtime.(runtime.UntilLogger); !ok || !inPlace(s.Runtime, a) || !ul.LogsUntil(ctx) {
		s.keepCrashLog(ctx, passID, a, time.Time{})
		return func(bool) {}
	}
	until, done := time.Now(), false
	return func(started bool) {
		switch {
		case done:
			return
		case started:
			// Not cut short by a stop: this read is the crashed run's
			// output's last chance.
			ctx = context.WithoutCancel(ctx)
		case ctx.Err() != nil:
			return // not started: the next pass reads it
		}
		done = true
		s.keepCrashLog(ctx, passID, a, until)
	}
}
