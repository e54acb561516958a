package supervisor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veloslet/veloslet/store"
)

// storeScrapeTimeout bounds the read a scrape makes: the store has one
// connection, and a scrape must not wait long behind a pass's writes.
const storeScrapeTimeout = 2 * time.Second

// gaugedStates are the record states veloslet_instances always reports,
// zero included, so a query over them never meets a missing series.
// Foreign instances have their own gauge.
var gaugedStates = []store.InstanceState{store.InstancePending, store.InstanceRunning, store.InstanceExited,
	store.InstanceStopped, store.InstanceGaveUp, store.InstanceUnknown}

// storeGauges reads the instance records at each scrape: the gauges are as
// current as the records, which every pass and every action's outcome
// writes, rather than a full pass's look from before it acted.
type storeGauges struct {
	db                                              *store.DB
	instances, crashLooping, backingOff, stateReads *prometheus.Desc
}

// WatchStore registers the gauges read from db's instance records:
// veloslet_instances by state, veloslet_crash_looping_instances and
// veloslet_backing_off_instances; and veloslet_state_reads_total, how often
// a pass read the tables and how often it found nothing written since its
// last read (a quiet host's passes should be almost all cached).
func (m *Metrics) WatchStore(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(&storeGauges{db: db,
		instances: prometheus.NewDesc("veloslet_instances",
			"Instance records by state (pending, running, exited, stopped, gave_up, unknown), as the store says at the scrape.",
			[]string{"state"}, nil),
		crashLooping: prometheus.NewDesc("veloslet_crash_looping_instances",
			"Instances whose consecutive failures reached restart.crash_loop_after.", nil, nil),
		backingOff: prometheus.NewDesc("veloslet_backing_off_instances",
			"Instances waiting out a back-off before their relaunch.", nil, nil),
		stateReads: prometheus.NewDesc("veloslet_state_reads_total",
			"Reads of the specs and instance records by passes: full (the tables read) or cached (nothing written since the last read).",
			[]string{"read"}, nil),
	})
}

func (g *storeGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.instances
	ch <- g.crashLooping
	ch <- g.backingOff
	ch <- g.stateReads
}

// Collect reads the counts. The state-read counters come from the store's
// memory and always show; a failed read leaves the gauges out of this
// scrape (a gap Prometheus shows as such) rather than failing the scrape
// or reporting zeros.
func (g *storeGauges) Collect(ch chan<- prometheus.Metric) {
	cached, full := g.db.StateReads()
	ch <- prometheus.MustNewConstMetric(g.stateReads, prometheus.CounterValue, float64(cached), "cached")
	ch <- prometheus.MustNewConstMetric(g.stateReads, prometheus.CounterValue, float64(full), "full")
	ctx, cancel := context.WithTimeout(context.Background(), storeScrapeTimeout)
	defer cancel()
	c, err := g.db.CountInstances(ctx)
	if err != nil {
		return
	}
	seen := map[store.InstanceState]bool{store.InstanceForeign: true}
	for _, st := range gaugedStates {
		seen[st] = true
		ch <- prometheus.MustNewConstMetric(g.instances, prometheus.GaugeValue, float64(c.States[st]), string(st))
	}
	for st, n := range c.States {
		if !seen[st] { // a state added later still shows
			ch <- prometheus.MustNewConstMetric(g.instances, prometheus.GaugeValue, float64(n), string(st))
		}
	}
	ch <- prometheus.MustNewConstMetric(g.crashLooping, prometheus.GaugeValue, float64(c.CrashLooping))
	ch <- prometheus.MustNewConstMetric(g.backingOff, prometheus.GaugeValue, float64(c.BackingOff))
}
