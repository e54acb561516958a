package supervisor

import "time"

// CrashPoints lists every crash point.
var CrashPoints = crashPoints

// SetCrashHook makes the supervisor call h at every crash point. Only tests
// crash a supervisor on purpose.
func (s *Supervisor) SetCrashHook(h CrashHook) { s.crash = h }

// CronTick runs the cron schedule's job now.
func (sc *Scheduler) CronTick() { sc.cronTick() }

// StreamUp reports whether the runtime's event stream is up.
func (sc *Scheduler) StreamUp() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return !sc.resync.streamUp.IsZero()
}

// ResyncDue exposes the resync rule to tests.
func ResyncDue(streamUp, newestStart time.Time, newestClean bool, now time.Time, resync time.Duration) bool {
	return resyncDue(resyncState{streamUp: streamUp, newestStart: newestStart, newestClean: newestClean}, now, resync)
}

// MergeUIDs exposes how pass requests' uids merge.
var MergeUIDs = mergeUIDs

// MergeDeaths exposes how pass requests' death events merge.
var MergeDeaths = mergeDeaths
