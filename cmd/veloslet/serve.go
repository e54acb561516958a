package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// lockWait is how long serve waits for a lock that a CLI verb holds briefly
// (`reconcile` without a daemon) before deciding another daemon has it.
const lockWait = 5 * time.Second

func (m *Main) serveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the supervisor daemon in the foreground",
		Long: `Run the supervisor in the foreground, logging to stderr.

A pass runs at start-up (crash recovery), on the cron schedule, within about a
second of any write to the database from another process, when the runtime
reports a death, and when a back-off deadline expires. SIGHUP asks for a pass.
SIGTERM or SIGINT finishes the pass in flight and exits; instances keep running
and the next start adopts them. A second signal exits at once.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return m.serve(cmd.Context()) },
	}
}

// metaExitCodes is the meta key that tells describe whether the runtime
// reports exit codes: "reported" or "unreported".
const metaExitCodes = "runtime_exit_codes"

// exitCodes is metaExitCodes's value for rt. Apple's CLI reports none at
// any release: every exit counts as a failure there, and restart
// "on-failure" relaunches as "always" does (a job that ends with 0 is run
// again), which describe says.
func exitCodes(rt runtime.Runtime) string {
	if _, ok := rt.(*apple.Runtime); ok {
		return "unreported"
	}
	return "reported"
}

// serviceLine is /healthz's line about the runtime's own service, when the
// runtime tracks it (Apple's: "container service down since …").
func serviceLine(rt runtime.Runtime) func() string {
	if s, ok := rt.(interface{ ServiceState() string }); ok {
		return s.ServiceState
	}
	return nil
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.Name(), args[0])
	}
	return nil
}

func (m *Main) serve(ctx context.Context) error {
	// Read before anything is started: no child process may inherit the socket.
	notify := newSDNotifier(m.Logger)
	lock, err := m.waitLock(ctx)
	if err != nil {
		return err
	}
	// The database closes before the file lock goes (see holdFile).
	defer func() {
		if err := m.Close(); err != nil {
			m.Logger.Error("close database", "error", err)
		}
		_ = lock.release()
	}()
	if err := lock.holdFile(); err != nil {
		return err
	}
	db, err := m.openDB(ctx, false)
	if err != nil {
		return err
	}
	if err := db.SetMeta(ctx, "crash_loop_after", strconv.Itoa(m.Config.Restart.CrashLoopAfter)); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}
	rt, backend, err := m.openRuntime(db.StoreID())
	if err != nil {
		return err
	}
	log := m.Logger.With("db", db.Path(), "store", db.StoreID())
	m.logRuntime(ctx, log, rt, backend)
	if err := db.SetMeta(ctx, metaExitCodes, exitCodes(rt)); err != nil {
		return fmt.Errorf("write meta: %w", err)
	}

	sup := m.newSupervisor(db, rt, log)
	sup.Prober = supervisor.NewProber(rt)
	sup.AdoptOnStart, sup.AdoptUnlabeled = true, m.Config.Runtime.AdoptUnlabeled
	sup.Precheck = func(context.Context) error { return db.CheckFile() }
	m.Supervisor = sup
	sc := supervisor.NewScheduler(sup)
	sc.Schedule, sc.WatchInterval, sc.Logger = m.Config.Reconcile.Schedule, time.Duration(m.Config.Reconcile.WatchInterval), log
	sc.Resync = time.Duration(m.Config.Reconcile.Resync)
	sc.Jobs = []supervisor.Job{m.retentionJob(db, log)}
	if m.Config.Backup.Schedule != "" {
		sc.Jobs = append(sc.Jobs, m.backupJob(db))
	}
	if w, ok := rt.(runtime.Watcher); ok {
		sc.Watcher = w
	}
	if _, polled := rt.(*apple.Runtime); polled {
		// Apple's watcher polls for deaths only: an orphan or a foreign
		// container that appears is no event, so every tick stays a pass.
		sc.Resync = 0
	}
	reg, metrics := newRegistry()
	metrics.WatchStore(reg, db)
	observeBackups(sc.Jobs, metrics)
	resync := time.Duration(0)
	if sc.Watcher != nil {
		resync = sc.Resync // quiet hours pass at the resync interval
	}
	if err := supervisor.RegisterProbeMetrics(reg, sup.Prober); err != nil {
		return fmt.Errorf("probe metrics: %w", err)
	}
	maxAge, err := m.Config.HealthMaxAge(sc.Schedule, resync, time.Now())
	if err != nil {
		return err
	}
	health := supervisor.NewHealth(maxAge)
	fatal := make(chan error, 1)
	replaced := func(err error) {
		// Working on a file nobody else sees helps no one: exit so that
		// launchd or systemd starts a daemon on the file the path names.
		health.SetFatal(err)
		select {
		case fatal <- err:
		default:
		}
	}
	var lastPass atomic.Int64 // unix nanoseconds of the last pass seen, for the watchdog
	lastPass.Store(time.Now().UnixNano())
	sc.OnPass = func(res *supervisor.PassResult, err error) {
		lastPass.Store(time.Now().UnixNano())
		metrics.ObservePass(res, err)
		health.ObservePass(res, err)
		notify.ObservePass(res, err)
		if errors.Is(err, store.ErrFileReplaced) {
			replaced(err)
		}
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go watchFile(watchCtx, db, replaced)
	fleetLine, stopFleet := m.startFleet(ctx, db, sc, log, reg)
	defer stopFleet()
	if m.Config.HTTP.Listen != "" {
		srv, err := startHTTP(m.Config.HTTP.Listen, reg, health, log, fleetLine, serviceLine(rt))
		if err != nil {
			return err
		}
		defer func() { _ = srv.Close(context.WithoutCancel(ctx)) }()
	}
	if err := sc.Start(); err != nil {
		return err
	}
	log.Info("veloslet serving", "version", Version, "pid", os.Getpid(), "schedule", sc.Schedule)
	dogCtx, stopWatchdog := context.WithCancel(ctx)
	defer stopWatchdog()
	// The watchdog is fed while passes keep ending (failed ones too: a
	// runtime that is down is no reason to restart veloslet); a runner
	// wedged for longer than the health age stops the pings.
	go notify.RunWatchdog(dogCtx, func() bool {
		return time.Since(time.Unix(0, lastPass.Load())) < maxAge && !health.Fatal()
	})

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var fatalErr error
	for ctx.Err() == nil && fatalErr == nil {
		select {
		case <-hup:
			log.Info("SIGHUP received: reconcile requested")
			sc.Trigger(store.TriggerManual)
		case fatalErr = <-fatal:
			log.Error("stopping: the database file changed under the daemon", "error", fatalErr)
		case <-ctx.Done():
		}
	}
	m.StopSignals() // a second SIGTERM or SIGINT now ends the process at once
	notify.Stopping()
	if fatalErr == nil {
		log.Info("signal received, finishing the pass in flight; instances keep running")
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(m.Config.Reconcile.ShutdownTimeout))
	defer cancel()
	if err := sc.Stop(stopCtx); err != nil {
		log.Warn("shutdown", "error", err)
	}
	if fatalErr != nil {
		// Every commit into the file it belongs to (the daemon's descriptor
		// follows a moved file), so the WAL left at the path holds nothing
		// that a file put there next would read as its own.
		res, err := db.CheckpointTruncate(stopCtx)
		lvl := slog.LevelInfo
		if err != nil || !res.Complete() {
			lvl = slog.LevelError
		}
		log.Log(stopCtx, lvl, "WAL checkpointed into the file the daemon had open", "complete", err == nil && res.Complete(),
			"wal_frames", res.WALFrames, "checkpointed", res.Checkpointed, "error", err)
	}
	log.Info("veloslet stopped")
	return fatalErr
}

// waitLock takes the daemon lock, waiting briefly in case a CLI verb holds it.
func (m *Main) waitLock(ctx context.Context) (*daemonLock, error) {
	if err := os.MkdirAll(filepath.Dir(m.Config.Store.Path), 0o700); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	deadline := time.Now().Add(lockWait)
	for {
		l, err := acquireLock(m.Config.Store.Path)
		if !errors.Is(err, errLocked) || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling a lock another process holds
		}
	}
}

func (m *Main) logRuntime(ctx context.Context, log *slog.Logger, rt runtime.Runtime, backend string) {
	vctx, cancel := context.WithTimeout(ctx, time.Duration(m.Config.Runtime.CallTimeout))
	defer cancel()
	v, err := rt.Version(vctx)
	if err != nil {
		// Keep serving: passes retry, and the records survive until it is back.
		log.Error("container runtime not answering", "backend", backend, "error", err)
		return
	}
	if backend == "fake" {
		log.Warn("runtime is SIMULATED: the fake backend runs no containers", "backend", backend, "version", v,
			"state_file", m.Config.Runtime.Fake.StateFile)
		return
	}
	log.Info("container runtime", "backend", backend, "version", v)
}

// retentionJob prunes the history tables on the retention schedule.
func (m *Main) retentionJob(db *store.DB, log *slog.Logger) supervisor.Job {
	r := m.Config.Retention
	return supervisor.Job{Name: "retention", Schedule: r.Schedule, Run: func(ctx context.Context) error {
		ne, err := db.PruneEvents(ctx, store.Retention{MaxAge: time.Duration(r.EventsMaxAge), MaxRows: r.EventsMaxRows})
		if err != nil {
			return err
		}
		np, err := db.PrunePasses(ctx, store.Retention{MaxAge: time.Duration(r.PassesMaxAge), MaxRows: r.PassesMaxRows})
		if err != nil {
			return err
		}
		if ne+np > 0 {
			log.Info("pruned history", "events", ne, "passes", np)
		}
		// SQLite checkpoints by itself every 1000 pages, but only as far as the
		// oldest reader allows. This one is PASSIVE too: it never waits, so a
		// replication tool's long read (litestream) cannot stall writes
		// behind it; a checkpoint held short is logged and retried next time.
		res, err := db.CheckpointPassive(ctx)
		if err != nil {
			return err
		}
		if !res.Complete() {
			log.Info("checkpoint held short by a reader; retried at the next retention run",
				"wal_frames", res.WALFrames, "checkpointed", res.Checkpointed, "busy", res.Busy)
		}
		return nil
	}}
}
