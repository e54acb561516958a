package compose

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// Health is a service's healthcheck as compose means it, mapped to the
// spec's health (a probe run inside the container, as Docker runs it).
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

// healthAndDeps fills svc.Health and svc.DependsOn and maps them to the
// spec: the healthcheck to its health (CMD-SHELL runs under /bin/sh -c, as
// Docker does), depends_on to the uids of the project's services with
// service_started → started and service_healthy → healthy.
// service_completed_successfully is refused: a spec waits for an instance
// that runs, never for one that has ended.
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
	if hc := svc.Health; hc != nil {
		cmd := slices.Clone(hc.Test)
		if hc.Shell {
			cmd = []string{"/bin/sh", "-c", strings.Join(hc.Test, " ")}
		}
		if len(cmd) == 0 || cmd[0] == "" {
			return &Refusal{Service: c.Name, Key: "healthcheck.test", Reason: "no command to run"}
		}
		if hc.Retries > math.MaxInt32 {
			return &Refusal{Service: c.Name, Key: "healthcheck.retries", Reason: fmt.Sprintf("%d is too many", hc.Retries)}
		}
		svc.Spec.Health = &spec.HealthCheck{Cmd: cmd, Interval: spec.Duration(hc.Interval), Timeout: spec.Duration(hc.Timeout),
			Retries: int(hc.Retries), StartPeriod: spec.Duration(hc.StartPeriod)}
	}
	if len(svc.DependsOn) == 0 {
		return nil
	}
	prefix := strings.TrimSuffix(svc.Spec.UID, c.Name) // "<project>-"
	names := make([]string, 0, len(svc.DependsOn))
	for n := range svc.DependsOn {
		names = append(names, n)
	}
	sort.Strings(names)
	deps := spec.DependsOn{}
	for _, n := range names {
		d := svc.DependsOn[n]
		switch d.Condition {
		case "", types.ServiceConditionStarted:
			deps[prefix+n] = spec.Dependency{Condition: spec.DependStarted, Restart: d.Restart}
		case types.ServiceConditionHealthy:
			deps[prefix+n] = spec.Dependency{Condition: spec.DependHealthy, Restart: d.Restart}
		default:
			return &Refusal{Service: c.Name, Key: "depends_on." + n + ".condition", Reason: fmt.Sprintf("%s is not supported: veloslet waits for a dependency that runs (service_started) or passes its probe (service_healthy), never for one that has ended", d.Condition)}
		}
	}
	svc.Spec.DependsOn = deps
	return nil
}
