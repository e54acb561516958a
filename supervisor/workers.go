package supervisor

import (
	"context"
	"errors"
	"sync"
)

// ErrNotStarted marks an action a pass planned but never started, because
// the pass was cancelled first. Nothing was done or recorded for it.
var ErrNotStarted = errors.New("not started: pass cancelled")

// ErrInterrupted marks an action whose runtime call was cut short by the
// pass being cancelled: not a failure of the container.
var ErrInterrupted = errors.New("interrupted: pass cancelled")

// workers runs each uid's runtime actions outside the pass lock, as kubelet's
// pod workers do: a slow call for one uid never holds up another's beyond
// the concurrency bound, and a uid with an action under way is left out of
// later plans until its outcome is recorded. Actions wait in one queue and
// at most limit goroutines run them, however many a pass hands over.
type workers struct {
	mu       sync.Mutex
	busy     map[string]bool
	deferred map[string]bool // busy uids a plan skipped: their end asks for a pass
	// succeeded: uids whose action ended well since the last snapshot.
	succeeded map[string]bool
	queue     []job
	running   int
	limit     int
}

// job is one action handed to the workers: run it, or, if its pass was
// cancelled before a worker got to it, skip it.
type job struct {
	ctx  context.Context
	run  func()
	skip func()
}

func (w *workers) init(limit int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limit = max(limit, 1)
	if w.busy == nil {
		w.busy, w.deferred = map[string]bool{}, map[string]bool{}
	}
}

// submit queues a job and starts a worker goroutine if fewer than limit run.
func (w *workers) submit(j job) {
	w.mu.Lock()
	w.queue = append(w.queue, j)
	start := w.running < w.limit
	if start {
		w.running++
	}
	w.mu.Unlock()
	if start {
		go w.loop()
	}
}

// loop runs queued jobs until the queue is empty.
func (w *workers) loop() {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.queue = nil
			w.running--
			w.mu.Unlock()
			return
		}
		j := w.queue[0]
		w.queue[0] = job{}
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if j.ctx.Err() != nil {
			j.skip()
		} else {
			j.run()
		}
	}
}

// snapshot returns the uids with an action under way. A pass takes it before
// it reads the store, so a record written meanwhile is never planned from a
// stale read.
func (w *workers) snapshot() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.succeeded = nil // from here on: which of them end well before the plan is made
	if len(w.busy) == 0 {
		return nil
	}
	out := make(map[string]bool, len(w.busy))
	for uid := range w.busy {
		out[uid] = true
	}
	return out
}

// markSkipped marks the uids a plan skipped, so that the successful end of
// their action asks for a pass. It reports whether one of them had already
// ended well while the plan was made: then nothing will ask, and the caller
// must. (A failed action asks for no pass now; see finishWork.)
func (w *workers) markSkipped(uids []string) (ended bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, uid := range uids {
		switch {
		case w.busy[uid]:
			w.deferred[uid] = true
		case w.succeeded[uid]:
			ended = true
		}
	}
	return ended
}

func (w *workers) isBusy(uid string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.busy[uid]
}

func (w *workers) claim(uid string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy[uid] = true
}

// release ends uid's action and reports whether a plan skipped it meanwhile.
func (w *workers) release(uid string, ok bool) (skipped bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.busy, uid)
	if ok {
		if w.succeeded == nil {
			w.succeeded = map[string]bool{}
		}
		w.succeeded[uid] = true
	}
	skipped = w.deferred[uid]
	delete(w.deferred, uid)
	return skipped
}
