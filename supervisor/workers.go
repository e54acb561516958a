package supervisor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
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

// dispatch executes a plan: actions that only write records are written at
// once, in order; an action that calls the runtime first records what was
// observed (an exit is on file before its instance is removed), then goes to
// its uid's worker. It stops at once when ctx ends: what it did not start is
// marked ErrNotStarted and not recorded. done is closed when every action
// has finished.
func (s *Supervisor) dispatch(ctx context.Context, passID int64, actions []Action, errs []error) (done <-chan struct{}) {
	var wg sync.WaitGroup
	for i := range actions {
		a := &actions[i]
		if ctx.Err() != nil {
			errs[i] = ErrNotStarted
			continue
		}
		if !a.callsRuntime() {
			errs[i] = s.record(context.WithoutCancel(ctx), passID, a, s.recordOnly(a))
			s.logAction(passID, a, errs[i])
			continue
		}
		if len(a.Events) > 0 {
			if err := s.record(context.WithoutCancel(ctx), passID, a, store.Outcome{Instance: a.Next, Events: a.Events}); err != nil {
				errs[i] = err
				s.logAction(passID, a, err)
				continue
			}
			a.Events = nil
		}
		s.workers.claim(a.UID)
		wg.Add(1)
		s.workers.submit(job{ctx: ctx,
			run: func() { defer wg.Done(); errs[i] = s.work(ctx, passID, a) },
			skip: func() {
				defer wg.Done()
				errs[i] = ErrNotStarted
				s.finishWork(a.UID, time.Time{}, false)
			}})
	}
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

// work is one uid's worker running one action: it runs the calls, records
// the outcome, and then asks for a pass if the outcome or a skipped plan
// calls for one.
func (s *Supervisor) work(ctx context.Context, passID int64, a *Action) error {
	var wake time.Time // a retry the outcome schedules
	keepLog := s.crashLogFor(ctx, passID, a)
	var pulled atomic.Bool
	r := s.call(runtime.WithPullStarted(ctx, func(image string) {
		pulled.Store(true)
		s.notePull(ctx, passID, a.UID, image)
	}), a, keepLog)
	keepLog(r.InPlace)
	defer func() { s.finishWork(a.UID, wake, r.Err == nil) }()
	if pulled.Load() {
		defer s.endPull(a.UID) // after the outcome: status never shows neither
	}
	out := Settle(a, r, s.Policy)
	if out.Instance != nil && (a.Next == nil || !out.Instance.NextAttemptAt.Time().Equal(a.Next.NextAttemptAt.Time())) {
		wake = retryWake(r, out.Instance)
	}
	if a.Kind == ActRemoveDuplicate && r.Err == nil {
		wake = r.At // the uid's own plan waited for the duplicates to go
	}
	err := s.record(context.WithoutCancel(ctx), passID, a, out)
	switch {
	case r.Interrupted:
		err = errors.Join(fmt.Errorf("%s %s: %w (%v)", r.Step, a.UID, ErrInterrupted, r.Err), err)
	case r.Err != nil && !Collided(r):
		err = errors.Join(fmt.Errorf("%s %s: %w", r.Step, a.UID, r.Err), err)
	}
	s.logAction(passID, a, err)
	return err
}

// finishWork frees uid for later plans and asks for the passes it is owed: a
// retry at the time the record says, and, if a plan skipped the uid while its
// action ran and the action succeeded, a pass now. A failed action owes no
// pass now: two uids whose calls keep failing would otherwise call for each
// other's passes without end; their retries follow the records and cron.
func (s *Supervisor) finishWork(uid string, wake time.Time, ok bool) {
	if s.workers.release(uid, ok) && ok {
		s.wake(s.now())
	}
	if !wake.IsZero() {
		s.wake(wake)
	}
}

// minRetryWake bounds how soon a worker asks for a pass again for a uid
// whose run keeps failing (or whose name is taken by an instance the list
// does not show), whatever the back-off says: with backoff_initial = 0 a
// missing image would otherwise be retried as fast as the runtime answers.
const minRetryWake = time.Second

// retryWake is when the worker asks for a pass to retry: the record's next
// attempt, at once only for the first failure in a row.
func retryWake(r Result, next *store.Instance) time.Time {
	at := next.NextAttemptAt.Time()
	if at.IsZero() {
		return at
	}
	if (Collided(r) || next.ConsecutiveFailures > 1) && at.Before(r.At.Add(minRetryWake)) {
		return r.At.Add(minRetryWake)
	}
	return at
}

// call makes an action's runtime calls: a relaunch of an unchanged instance
// starts it in place where the runtime can; otherwise, and for a replace,
// the old instance is removed before the new one runs, after keepLog (its
// output is read first). A crash between the two leaves no instance; the
// next pass launches.
func (s *Supervisor) call(ctx context.Context, a *Action, keepLog func(started bool)) Result {
	var note string // why a relaunch did not start in place
	fail := func(step string, err error) Result {
		return Result{Step: step, Err: err, Interrupted: interrupted(ctx, err), At: s.now(), Note: note}
	}
	switch a.Kind {
	case ActRemoveDuplicate:
		for _, d := range a.Duplicates {
			if err := s.Runtime.RemoveInstance(ctx, d.ID); err != nil {
				return fail("remove", err)
			}
		}
		return Result{At: s.now()}
	case ActStop:
		s.at(CrashBeforeStop, a)
		if err := s.stop(ctx, a); err != nil {
			return fail("stop", err)
		}
		s.at(CrashAfterStop, a)
		return Result{At: s.now()}
	case ActRemoveOrphan:
		if err := s.remove(ctx, a); err != nil {
			return fail("remove", err)
		}
		return Result{At: s.now()}
	case ActRelaunch, ActReplace, ActRestart:
		var r Result
		var done bool
		if r, done, note = s.startInPlace(ctx, a); done {
			return r
		}
		keepLog(false)
		if err := s.remove(ctx, a); err != nil {
			return fail("remove", err)
		}
	}
	s.at(CrashBeforeRun, a)
	id, err := s.Runtime.Run(ctx, runSpec(a.Spec, s.DB.StoreID()))
	if err != nil {
		return fail("run", err)
	}
	s.at(CrashAfterRun, a)
	return Result{RuntimeID: id, At: s.now(), Note: note}
}

// stop stops a's instance. One listed under another name (Renamed) is
// removed by id: the runtime stops by name only (see plan_owned.go).
func (s *Supervisor) stop(ctx context.Context, a *Action) error {
	if a.Observed != nil && a.Observed.Renamed {
		return s.Runtime.RemoveInstance(ctx, a.Observed.ID)
	}
	return s.Runtime.Stop(ctx, a.UID)
}

// remove removes a's instance: by name, or by id when it is listed under
// another name (Renamed).
func (s *Supervisor) remove(ctx context.Context, a *Action) error {
	s.at(CrashBeforeRemove, a)
	rm := func() error { return s.Runtime.Remove(ctx, a.UID) }
	if a.Observed != nil && a.Observed.Renamed {
		rm = func() error { return s.Runtime.RemoveInstance(ctx, a.Observed.ID) }
	}
	if err := rm(); err != nil {
		return err
	}
	s.at(CrashAfterRemove, a)
	return nil
}

// recordOnly is the outcome of an action that calls no runtime.
func (s *Supervisor) recordOnly(a *Action) store.Outcome {
	out := store.Outcome{Instance: a.Next, Events: a.Events, Adopt: a.Adopt}
	if a.Kind == ActForget {
		out.Delete = a.UID
	}
	return out
}

func (s *Supervisor) record(ctx context.Context, passID int64, a *Action, out store.Outcome) error {
	for i := range out.Events {
		out.Events[i].PassID = &passID
	}
	s.at(CrashBeforeRecord, a)
	if err := s.DB.RecordOutcome(ctx, out); err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	s.at(CrashAfterRecord, a)
	return nil
}

func (s *Supervisor) logAction(passID int64, a *Action, err error) {
	switch {
	case err != nil:
		s.logger().Warn("action failed", LogKeyPass, passID, LogKeyUID, a.UID, LogKeyAction, a.Kind, LogKeyError, err)
	case a.Kind != ActRecord || len(a.Events) > 0:
		s.logger().Info("action done", LogKeyPass, passID, LogKeyUID, a.UID, LogKeyAction, a.Kind, LogKeyReason, a.Reason)
	}
}

// runSpec turns a stored spec into what the runtime launches.
func runSpec(s *store.Spec, storeID string) runtime.RunSpec {
	return runtime.NewRunSpec(s, storeID)
}
