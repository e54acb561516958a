package supervisor

import (
	"context"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// watchDataVersion polls PRAGMA data_version, which changes when another
// connection commits, so that `veloslet apply` takes effect within a second.
// last and err are its first reading.
func (sc *Scheduler) watchDataVersion(ctx context.Context, last int64, err error) {
	defer sc.wg.Done()
	interval := sc.WatchInterval
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var failures int
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, verr := sc.Supervisor.DB.DataVersion(ctx)
		if verr != nil {
			failures++
			if ctx.Err() == nil && (failures == 1 || failures%60 == 0) { // at most once a minute
				sc.Logger.Warn("database watch failed", LogKeyError, verr, "failures", failures)
			}
			continue
		}
		failures = 0
		if err == nil && v != last {
			sc.Request(sc.changeRequest(ctx))
		}
		last, err = v, nil
	}
}

// changeRequest turns an outside write into a pass request: an operator's
// `veloslet reconcile` if it wrote a new request, a plain change otherwise.
func (sc *Scheduler) changeRequest(ctx context.Context) PassOptions {
	req, err := sc.Supervisor.DB.FindPassRequestAfter(ctx, sc.lastReq)
	if err != nil || req.ID <= sc.lastReq {
		return PassOptions{Trigger: store.TriggerChange}
	}
	sc.lastReq = req.ID
	return PassOptions{Trigger: store.TriggerManual, Force: req.Force, RequestID: req.ID}
}

// watchRuntime feeds "died" events into the runner, restarting the stream
// with a growing wait whenever it ends.
func (sc *Scheduler) watchRuntime(ctx context.Context) {
	defer sc.wg.Done()
	ch := make(chan runtime.Event, 64)
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-ch:
				if ev.Kind == runtime.EventDied {
					// A pass over the dead uid alone; one it cannot decide lists the host.
					opts := PassOptions{Trigger: store.TriggerEvent}
					if ev.UID != "" {
						opts.UIDs = []string{ev.UID}
						if ev.Instance != nil {
							opts.Deaths = []runtime.Event{ev}
						}
					}
					sc.Request(opts) // see eventRecheck for a death the runtime does not show yet
				}
			}
		}
	}()
	wait := time.Second
	for {
		started := time.Now()
		sc.streamState(true)
		err := sc.Watcher.Watch(ctx, ch)
		sc.streamState(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > watchRetryMax {
			wait = time.Second // it ran for a while: a fresh failure
		}
		sc.Logger.Warn("runtime event stream ended; restarting", LogKeyError, err, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, watchRetryMax)
		// A pass covers any death the stream missed while it was down.
		sc.Trigger(store.TriggerEvent)
	}
}
