package supervisor

import (
	"github.com/prometheus/client_golang/prometheus"
)

// probeCollector publishes the prober's state: how many probed uids are in
// each health state (read at each scrape), and how long probes take, by
// probe kind. No uid label: a thousand probed uids are three gauges.
type probeCollector struct {
	p        *Prober
	states   *prometheus.Desc
	duration *prometheus.HistogramVec
}

// RegisterProbeMetrics registers the prober's metrics with reg and makes
// the prober observe each probe's duration. Call it before the prober runs.
func RegisterProbeMetrics(reg prometheus.Registerer, p *Prober) error {
	c := &probeCollector{p: p,
		states: prometheus.NewDesc("veloslet_health", "Probed instances by health state (starting, healthy, unhealthy).",
			[]string{"state"}, nil),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "veloslet_probe_duration_seconds", Help: "Duration of health probes, by probe (cmd, http, tcp).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"probe"}),
	}
	p.OnResult = func(kind string, r ProbeResult) { c.duration.WithLabelValues(kind).Observe(r.Duration.Seconds()) }
	return reg.Register(c)
}

func (c *probeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.states
	c.duration.Describe(ch)
}

func (c *probeCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[HealthState]int{HealthStarting: 0, HealthHealthy: 0, HealthUnhealthy: 0}
	for _, h := range c.p.Snapshot() {
		counts[h.State]++
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.states, prometheus.GaugeValue, float64(n), string(st))
	}
	c.duration.Collect(ch)
}
