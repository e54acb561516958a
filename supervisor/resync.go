package supervisor

import (
	"slices"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// DefaultResync is how often the safety-net pass runs while the runtime's
// event stream is healthy and passes succeed: every death is an event then,
// and every write to the database is seen by its watch, so a full list on
// every cron tick mostly finds nothing.
const DefaultResync = time.Minute

// resyncState is what the cron tick needs to decide whether a pass is due.
// Times are in the supervisor's clock.
type resyncState struct {
	streamUp    time.Time // when the current event stream started; zero while down
	newestStart time.Time // start of the newest pass that has finished
	newestClean bool      // that pass listed, planned and acted without an error
}

// resyncDue reports whether a cron tick must run a pass: always, unless
// resync is set, the event stream has been up since before the newest
// finished pass started, that pass was clean, and it is younger than
// resync. A death while the stream is up is its event's pass; one the
// stream could have missed (it was down, or a pass failed) is the tick's.
func resyncDue(st resyncState, now time.Time, resync time.Duration) bool {
	switch {
	case resync <= 0, st.streamUp.IsZero(), !st.newestClean:
		return true
	case !st.streamUp.Before(st.newestStart):
		return true
	}
	return now.Sub(st.newestStart) >= resync
}

// cronTick is the cron schedule's job: a pass, unless the resync rule says
// the event stream covers this tick.
func (sc *Scheduler) cronTick() {
	sc.mu.Lock()
	due := resyncDue(sc.resync, sc.Supervisor.now(), sc.Resync)
	sc.mu.Unlock()
	if due {
		sc.Trigger(store.TriggerSchedule)
	}
}

// streamState notes the event stream going up (true) or down (false).
func (sc *Scheduler) streamState(up bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if up {
		sc.resync.streamUp = sc.Supervisor.now()
	} else {
		sc.resync.streamUp = time.Time{}
	}
}

// passEnded notes a pass that started at start and ended with res and err
// (or one that could not start: res nil, err set), for the resync rule. A
// targeted pass did not list the host: it counts only when it failed. A
// pass that saw instances of ours the event stream does not report (see
// PassResult.Unwatched) is not clean: their deaths are the cron tick's.
// Nor is one the brake held: its picture of the runtime is in doubt, and
// each tick of the hold looks again whether it has cleared or persisted.
func (sc *Scheduler) passEnded(start time.Time, res *PassResult, err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if res != nil && res.Targeted && err == nil {
		return
	}
	if start.Before(sc.resync.newestStart) {
		return // an older pass ending late says nothing about the newest
	}
	sc.resync.newestStart, sc.resync.newestClean = start, err == nil && (res == nil || res.Unwatched == 0 && !res.Plan.BrakeHeld)
}

// MaxPendingUIDs bounds the uids, and the death events, that pending pass
// requests name. Past it the request becomes a full pass (one list of the
// host, which covers every uid) and the deaths are dropped (each uid is then
// looked at): a runtime reporting deaths of ever new uids, faster than
// passes go, would otherwise grow the list, the cost of each merge and the
// pass's work without end.
const MaxPendingUIDs = 256

// mergeUIDs merges the uids of two pass requests: nil (a full pass) wins,
// and so does a merge past MaxPendingUIDs.
func mergeUIDs(a, b []string) []string {
	if a == nil || b == nil {
		return nil
	}
	a = slices.Clone(a)
	for _, uid := range b {
		if !slices.Contains(a, uid) {
			a = append(a, uid)
		}
	}
	if len(a) > MaxPendingUIDs {
		return nil
	}
	return a
}

// mergeDeaths merges the death events of two pass requests: none for a full
// pass (uids nil), which looks at everything anyway, nor past
// MaxPendingUIDs (the pass then looks at each uid).
func mergeDeaths(uids []string, a, b []runtime.Event) []runtime.Event {
	if uids == nil || len(a)+len(b) > MaxPendingUIDs {
		return nil
	}
	return append(slices.Clip(a), b...)
}
