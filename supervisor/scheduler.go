package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Scheduler defaults.
const (
	DefaultSchedule      = "@every 10s"
	DefaultWatchInterval = time.Second
	// watchRetryMax caps the wait before restarting a failed event stream.
	watchRetryMax = 30 * time.Second
)

// ParseSchedule checks a cron spec: five or six fields (seconds optional) or
// a descriptor such as "@every 10s".
func ParseSchedule(spec string) (cron.Schedule, error) {
	// cron accepts "@every -1s" and quietly runs it every second; refuse it.
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		if dur, err := time.ParseDuration(d); err == nil && dur <= 0 {
			return nil, errors.New("the interval must be positive")
		}
	}
	return scheduleParser.Parse(spec)
}

var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom |
	cron.Month | cron.Dow | cron.Descriptor)

// Scheduler decides when passes run. Every trigger (start-up, cron, an
// outside write to the database, a runtime event, a back-off deadline, a
// manual request) only asks one runner for a pass; requests that arrive
// while one is pending are coalesced into it.
type Scheduler struct {
	Supervisor *Supervisor
	// Schedule is the cron spec for routine passes.
	Schedule string
	// WatchInterval is how often PRAGMA data_version is polled to notice
	// writes from other connections (the CLI, sqlite3).
	WatchInterval time.Duration
	// Watcher streams runtime events; nil for runtimes that are polled.
	Watcher runtime.Watcher
	Logger  *slog.Logger
	// Jobs are extra cron jobs (retention, backups) run on the same scheduler.
	Jobs []Job
	// OnPass, when set, is called after every pass the runner runs.
	OnPass func(*PassResult, error)
	// Resync, when positive, lets a cron tick pass without a pass while the
	// event stream is up and the newest pass, younger than Resync, was
	// clean (see resyncDue). Zero: every tick runs a pass.
	Resync time.Duration

	mu         sync.Mutex
	pending    *PassOptions  // the coalesced request, nil when none
	wakeup     chan struct{} // signalled when pending is set
	deadline   time.Time     // the earliest pass a record asked for; zero if none
	rearm      chan struct{} // signalled when deadline moves earlier
	lastReq    int64         // the newest operator request handed to the runner
	stop       chan struct{}
	cancelPass context.CancelFunc
	cancelAux  context.CancelFunc
	cron       *cron.Cron
	wg         sync.WaitGroup
	passes     sync.WaitGroup // dispatched passes whose actions are under way
	runnerDone chan struct{}
	stopOnce   sync.Once
	stopErr    error
	resync     resyncState
}

// Job is an extra cron job.
type Job struct {
	Name     string
	Schedule string
	Run      func(ctx context.Context) error
}

// NewScheduler returns a scheduler with the default schedule.
func NewScheduler(s *Supervisor) *Scheduler {
	return &Scheduler{Supervisor: s, Schedule: DefaultSchedule, WatchInterval: DefaultWatchInterval, Logger: slog.Default()}
}

// Start asks for the start-up pass first, then starts the runner, cron, the
// database watch and the runtime event stream. It returns at once.
func (sc *Scheduler) Start() error {
	if sc.Logger == nil {
		sc.Logger = slog.Default()
	}
	c := cron.New(cron.WithParser(scheduleParser), cron.WithLogger(cronLogger{sc.Logger}),
		cron.WithChain(cron.Recover(cronLogger{sc.Logger}), cron.SkipIfStillRunning(cronLogger{sc.Logger})))
	sched, err := ParseSchedule(sc.Schedule)
	if err != nil {
		return fmt.Errorf("schedule %q: %w", sc.Schedule, err)
	}
	c.Schedule(sched, cron.FuncJob(sc.cronTick)) // wrapped by the chain above
	auxCtx, cancelAux := context.WithCancel(context.Background())
	for _, j := range sc.Jobs {
		if _, err := c.AddFunc(j.Schedule, func() {
			if err := j.Run(auxCtx); err != nil {
				sc.Logger.Error("job failed", "job", j.Name, LogKeyError, err)
			}
		}); err != nil {
			cancelAux()
			return fmt.Errorf("job %s schedule %q: %w", j.Name, j.Schedule, err)
		}
	}
	passCtx, cancelPass := context.WithCancel(context.Background())
	sc.cron, sc.cancelPass, sc.cancelAux = c, cancelPass, cancelAux
	sc.mu.Lock() // Request may run already: serve's fleet node starts first
	sc.wakeup = make(chan struct{}, 1)
	sc.mu.Unlock()
	sc.rearm = make(chan struct{}, 1)
	sc.stop = make(chan struct{})
	sc.Supervisor.OnWake = sc.wakeAt
	sc.runnerDone = make(chan struct{})
	if req, err := sc.Supervisor.DB.FindPassRequest(passCtx); err == nil {
		sc.lastReq = req.ID // requests from before this start were served by their CLI
	}
	// The watch's first reading is taken before anything else, so that a
	// write right after Start returns is a change, never the baseline.
	version, verr := sc.Supervisor.DB.DataVersion(passCtx)
	sc.Trigger(store.TriggerStartup) // crash recovery comes before anything else

	go sc.runner(passCtx)
	c.Start()
	if p := sc.Supervisor.Prober; p != nil {
		// An instance turning unhealthy asks for a pass at once; the
		// probes end with the other auxiliary work at Stop.
		p.OnUnhealthy = func(string) { sc.wakeAt(sc.Supervisor.now()) }
		p.OnChange = func(h HealthStatus) {
			sc.Supervisor.writeHealth(auxCtx, h)
			if h.State == HealthHealthy { // a dependant may wait for it
				sc.wakeAt(sc.Supervisor.now())
			}
		}
		sc.wg.Add(1)
		go func() { defer sc.wg.Done(); p.Run(auxCtx) }()
	}
	sc.wg.Add(1)
	go sc.watchDataVersion(auxCtx, version, verr)
	if sc.Watcher != nil {
		sc.wg.Add(1)
		go sc.watchRuntime(auxCtx)
	}
	return nil
}

// Trigger asks for a pass. It never blocks: a request already pending covers it.
func (sc *Scheduler) Trigger(t store.Trigger) { sc.Request(PassOptions{Trigger: t}) }

// Request asks for a pass with options. Requests that arrive while one is
// pending are merged into it: the first trigger names the pass, any Force
// holds, and the newest operator request id is kept.
func (sc *Scheduler) Request(opts PassOptions) {
	sc.mu.Lock()
	if sc.pending == nil {
		sc.pending = &opts
	} else {
		sc.pending.Force = sc.pending.Force || opts.Force
		sc.pending.RequestID = max(sc.pending.RequestID, opts.RequestID)
		sc.pending.UIDs = mergeUIDs(sc.pending.UIDs, opts.UIDs)
		sc.pending.Deaths = mergeDeaths(sc.pending.UIDs, sc.pending.Deaths, opts.Deaths)
	}
	wakeup := sc.wakeup // nil before Start: the pending request waits for the runner
	sc.mu.Unlock()
	select {
	case wakeup <- struct{}{}:
	default:
	}
}

func (sc *Scheduler) take() (PassOptions, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.pending == nil {
		return PassOptions{}, false
	}
	opts := *sc.pending
	sc.pending = nil
	return opts, true
}

// Stop stops the triggers and waits for the pass in flight to finish. If ctx
// ends first, the pass is cancelled (its runtime calls abort) and Stop waits
// for it to record what it did.
// Calling it again returns the first call's result.
func (sc *Scheduler) Stop(ctx context.Context) error {
	sc.stopOnce.Do(func() { sc.stopErr = sc.doStop(ctx) })
	return sc.stopErr
}

// Stopping returns a channel that is closed once Stop has been called.
func (sc *Scheduler) Stopping() <-chan struct{} { return sc.stop }

func (sc *Scheduler) doStop(ctx context.Context) error {
	cronDone := sc.cron.Stop() // no new cron triggers
	sc.cancelAux()             // ends the database watch, the event stream and extra jobs
	close(sc.stop)
	idle := make(chan struct{})
	go func() {
		<-sc.runnerDone
		sc.passes.Wait()
		close(idle)
	}()
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		// Out of patience: abort the runtime calls in flight and start no
		// more; what was done is still recorded, with a context that
		// outlives this one.
		err = fmt.Errorf("actions in flight cancelled: %w", ctx.Err())
		sc.cancelPass()
		<-idle
	}
	sc.cancelPass()
	sc.wg.Wait()
	<-cronDone.Done()
	return err
}

// wakeAt asks for a pass at t (in the supervisor's clock): the timer
// follows the earliest time any plan or written record asked for.
func (sc *Scheduler) wakeAt(t time.Time) {
	sc.mu.Lock()
	if !sc.deadline.IsZero() && !t.Before(sc.deadline) {
		sc.mu.Unlock()
		return
	}
	sc.deadline = t
	sc.mu.Unlock()
	select {
	case sc.rearm <- struct{}{}:
	default:
	}
}

// runner plans one pass at a time; each pass's actions run on in their
// uids' workers while the runner goes on to the next request.
func (sc *Scheduler) runner(ctx context.Context) {
	defer close(sc.runnerDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select { // a stop request wins over pending work
		case <-sc.stop:
			return
		default:
		}
		select {
		case <-sc.stop:
			return
		case <-sc.wakeup:
		case <-sc.rearm:
			sc.mu.Lock()
			wait := max(sc.deadline.Sub(sc.Supervisor.now()), 0)
			sc.mu.Unlock()
			timer.Reset(wait + 10*time.Millisecond)
			continue
		case <-timer.C:
			sc.mu.Lock()
			sc.deadline = time.Time{}
			sc.mu.Unlock()
			sc.Trigger(store.TriggerBackoff)
		}
		opts, ok := sc.take()
		if !ok {
			continue
		}
		start := sc.Supervisor.now()
		d, err := sc.Supervisor.Dispatch(ctx, opts)
		if err != nil {
			sc.passEnded(start, nil, err)
			if sc.OnPass != nil {
				sc.OnPass(nil, err)
			}
			continue
		}
		sc.passes.Add(1)
		go func() {
			defer sc.passes.Done()
			res, err := d.Wait()
			sc.passEnded(start, res, err)
			if sc.OnPass != nil {
				sc.OnPass(res, err)
			}
		}()
	}
}

// cronLogger writes cron's logs through slog (cron's default writes to stdout).
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	if errors.Is(err, context.Canceled) {
		return
	}
	c.l.Error("cron: "+msg, append(kv, LogKeyError, err)...)
}
