package supervisor

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics publishes what passes did, in the Prometheus format.
type Metrics struct {
	passes       *prometheus.CounterVec
	passDuration prometheus.Histogram
	actions      *prometheus.CounterVec
	foreign      prometheus.Gauge
	restarts     prometheus.Counter
	brakeHolds   prometheus.Counter
	lastSuccess  prometheus.Gauge
	invalid      prometheus.Gauge
	lastBackup   prometheus.Gauge
	backupOK     prometheus.Gauge

	reg        prometheus.Registerer
	backupOnce sync.Once

	mu     sync.Mutex
	newest int64 // the newest pass whose view the gauges show
}

// NewMetrics registers the supervisor's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{reg: reg,
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veloslet_passes_total", Help: "Reconcile passes by trigger and result (ok, failed).",
		}, []string{"trigger", "result"}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "veloslet_pass_duration_seconds", Help: "Duration of reconcile passes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "veloslet_actions_total", Help: "Actions by kind and result (ok, failed, interrupted, not_started).",
		}, []string{"kind", "result"}),
		foreign: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veloslet_foreign_instances", Help: "Instances under our prefix that another store launched.",
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veloslet_restarts_total", Help: "Relaunches of exited instances.",
		}),
		brakeHolds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "veloslet_brake_holds_total", Help: "Passes in which the safety brake held removals back.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veloslet_last_successful_pass_timestamp_seconds", Help: "When the last pass that succeeded finished.",
		}),
		invalid: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "veloslet_invalid_specs", Help: "Specs the last pass skipped because they cannot be used.",
		}),
	}
	m.lastBackup = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "veloslet_last_backup_timestamp_seconds", Help: "When the last scheduled backup that succeeded finished; absent before the first.",
	})
	m.backupOK = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "veloslet_last_backup_success", Help: "1 if the last scheduled backup succeeded, 0 if it failed; absent before the first.",
	})
	reg.MustRegister(m.passes, m.passDuration, m.actions, m.foreign, m.restarts, m.brakeHolds, m.lastSuccess, m.invalid)
	return m
}

// ObservePass records one pass; it fits Scheduler.OnPass.
func (m *Metrics) ObservePass(res *PassResult, err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	if res == nil {
		m.passes.WithLabelValues("unknown", result).Inc()
		return
	}
	m.passes.WithLabelValues(string(res.Trigger), result).Inc()
	m.passDuration.Observe(res.Duration.Seconds())
	if err == nil {
		m.lastSuccess.SetToCurrentTime()
	}
	for i, a := range res.Plan.Actions {
		r := "ok"
		if i < len(res.Errors) {
			r = actionResult(res.Errors[i])
		}
		m.actions.WithLabelValues(string(a.Kind), r).Inc()
		if a.row().countsRestart && r == "ok" {
			m.restarts.Inc()
		}
		if a.Kind == ActBrake {
			m.brakeHolds.Inc()
		}
	}
	// Instance gauges are read from the records at each scrape (WatchStore).
	if res.States != nil && m.newer(res.ID) { // passes finish out of order: gauges show the newest look
		m.foreign.Set(float64(res.Foreign))
		m.invalid.Set(float64(len(res.Plan.Invalid)))
	}
}

// ObserveBackup records one scheduled backup's end. The backup gauges are
// registered on the first, so a daemon without a backup schedule shows none
// (an alert on a missing series would otherwise fire for a choice).
func (m *Metrics) ObserveBackup(at time.Time, err error) {
	m.backupOnce.Do(func() { m.reg.MustRegister(m.lastBackup, m.backupOK) })
	if err != nil {
		m.backupOK.Set(0)
		return
	}
	m.backupOK.Set(1)
	m.lastBackup.Set(float64(at.UnixNano()) / 1e9)
}

// newer reports whether pass id is the newest seen so far, and notes it.
func (m *Metrics) newer(id int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < m.newest {
		return false
	}
	m.newest = id
	return true
}

func actionResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotStarted):
		return "not_started"
	case errors.Is(err, ErrInterrupted):
		return "interrupted"
	}
	return "failed"
}

// Health says whether passes keep succeeding on schedule.
type Health struct {
	// MaxAge is how old the last successful pass may be.
	MaxAge time.Duration
	Now    func() time.Time

	mu          sync.Mutex
	lastSuccess time.Time
	lastErr     error
	fatal       error
	started     time.Time
	invalid     []string // uids the last pass that planned skipped as invalid
	newest      int64    // the newest pass observed
}

// SetFatal marks the daemon unhealthy for good: it is about to exit.
func (h *Health) SetFatal(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fatal = err
}

// Fatal reports whether SetFatal was called: the daemon is about to exit.
func (h *Health) Fatal() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fatal != nil
}

// NewHealth returns a Health that allows MaxAge between successful passes.
func NewHealth(maxAge time.Duration) *Health {
	return &Health{MaxAge: maxAge, Now: time.Now, started: time.Now()}
}

// ObservePass records one pass; it fits Scheduler.OnPass.
//
// Passes finish out of order (a slow action holds its pass open while newer
// ones finish): only the newest pass sets the last error and the invalid
// specs, and a success counts from when its pass looked, not from when its
// last action ended, so an old pass finishing late cannot hide newer ones
// that failed.
func (h *Health) ObservePass(res *PassResult, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	at := h.Now()
	if res != nil {
		at = at.Add(-res.Duration)
		if res.ID != 0 && res.ID < h.newest {
			if err == nil && at.After(h.lastSuccess) {
				h.lastSuccess = at
			}
			return
		}
		h.newest = res.ID
	}
	h.lastErr = err
	if res != nil && res.States != nil {
		h.invalid = h.invalid[:0]
		for _, v := range res.Plan.Invalid {
			h.invalid = append(h.invalid, v.UID)
		}
	}
	if err == nil && at.After(h.lastSuccess) {
		h.lastSuccess = at
	}
}

// Invalid returns the uids of the specs the last pass skipped because they
// cannot be used. They do not make the daemon unhealthy: every other spec is
// supervised, and a failing health check would only get a sound daemon
// restarted. /healthz reports them in its body.
func (h *Health) Invalid() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.invalid)
}

// Check returns nil while healthy, or the reason it is not.
func (h *Health) Check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.Now()
	switch {
	case h.fatal != nil:
		return fmt.Errorf("stopping: %w", h.fatal)
	case h.lastSuccess.IsZero() && now.Sub(h.started) < h.MaxAge:
		return errors.New("starting: no pass has finished yet")
	case h.lastSuccess.IsZero():
		return fmt.Errorf("no pass has succeeded since the start %s ago (last error: %v)", now.Sub(h.started).Round(time.Second), h.lastErr)
	case now.Sub(h.lastSuccess) > h.MaxAge:
		return fmt.Errorf("last successful pass %s ago, more than %s (last error: %v)",
			now.Sub(h.lastSuccess).Round(time.Second), h.MaxAge, h.lastErr)
	}
	return nil
}

// HealthMaxAge derives the allowed age of the last successful pass from
// the cron schedule: three intervals, and at least a minute.
func HealthMaxAge(schedule string, now time.Time) (time.Duration, error) {
	s, err := ParseSchedule(schedule)
	if err != nil {
		return 0, err
	}
	first := s.Next(now)
	return max(3*s.Next(first).Sub(first), time.Minute), nil
}
