package compose

import (
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// Health is a service's healthcheck as compose means it. The spec has no
// health probe yet, so an active one is refused at import; the form is kept
// so that wiring it to the spec's health is a mapping, not a new parser.
type Health struct {
	Test        []string // the command; Shell says whether it runs under /bin/sh -c
	Shell       bool     // CMD-SHELL
	Interval    time.Duration
	Timeout     time.Duration
	Retries     uint64
	StartPeriod time.Duration
}

// Dependency is one depends_on entry.
type Dependency struct {
	Condition string // service_started, service_healthy, service_completed_successfully
	Required  bool
	Restart   bool
}

// healthAndDeps fills svc.Health and svc.DependsOn, then refuses what the
// spec cannot carry yet: an active healthcheck and any depends_on.
func healthAndDeps(svc *Service, c types.ServiceConfig) error {
	if h := c.HealthCheck; h != nil {
		switch {
		case h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE"):
			svc.Notes = append(svc.Notes, "healthcheck disabled: nothing to map")
		case len(h.Test) == 0:
			svc.Notes = append(svc.Notes, "healthcheck without test: nothing to map")
		default:
			hc := &Health{Test: h.Test[1:], Shell: h.Test[0] == "CMD-SHELL"}
			if h.Test[0] != "CMD" && h.Test[0] != "CMD-SHELL" {
				hc.Test, hc.Shell = h.Test, true // a plain string is CMD-SHELL
			}
			if h.Interval != nil {
				hc.Interval = time.Duration(*h.Interval)
			}
			if h.Timeout != nil {
				hc.Timeout = time.Duration(*h.Timeout)
			}
			if h.Retries != nil {
				hc.Retries = *h.Retries
			}
			if h.StartPeriod != nil {
				hc.StartPeriod = time.Duration(*h.StartPeriod)
			}
			svc.Health = hc
		}
	}
	if len(c.DependsOn) > 0 {
		svc.DependsOn = map[string]Dependency{}
		for name, d := range c.DependsOn {
			svc.DependsOn[name] = Dependency{Condition: d.Condition, Required: d.Required, Restart: d.Restart}
		}
	}
	if svc.Health != nil {
		return &Refusal{Service: c.Name, Key: "healthcheck", Reason: "not supported yet: a spec has no health probe in this version; remove it or set disable: true"}
	}
	if len(svc.DependsOn) > 0 {
		names := make([]string, 0, len(svc.DependsOn))
		for n := range svc.DependsOn {
			names = append(names, n)
		}
		sort.Strings(names)
		return &Refusal{Service: c.Name, Key: "depends_on", Reason: "not supported yet (" + strings.Join(names, ", ") + "): a spec has no start order in this version; veloslet starts every service at once and restarts the ones that fail"}
	}
	return nil
}
