package apple

import (
	"strconv"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// stopPlan is how one container is stopped: the grace and signal its spec
// asked for; zero values mean the backend's StopTimeout and StopSignal.
type stopPlan struct {
	timeout time.Duration
	signal  string
}

// stopPlans holds each container's stopPlan by name. Stop and Remove get a
// uid or an id only, so the plan is recorded when Run launches the
// container and read back from the labels of every `list` (LabelStopSignal,
// LabelStopTimeout): a pass begins with List, so after a veloslet restart
// the first pass knows them before it stops or removes anything. A name it
// has never seen stops with the backend's defaults.
type stopPlans struct {
	mu sync.Mutex
	m  map[string]stopPlan
}

// planOf reads a container's stopPlan from its labels.
func planOf(labels map[string]string) stopPlan {
	p := stopPlan{signal: labels[LabelStopSignal]}
	if d, err := time.ParseDuration(labels[LabelStopTimeout]); err == nil && d > 0 {
		p.timeout = d
	}
	return p
}

// set records name's plan (an empty plan: the defaults).
func (s *stopPlans) set(name string, p stopPlan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p == (stopPlan{}) {
		delete(s.m, name)
		return
	}
	if s.m == nil {
		s.m = map[string]stopPlan{}
	}
	s.m[name] = p
}

// observe records the plans of listed containers. It forgets nothing that
// is not listed: a list that began before a launch finished must not lose
// that launch's plan; a removal forgets its own. (A list that began before
// a replacement and ends after it can bring back the old spec's plan for
// that name until the next list: the next stop then uses the old grace.)
func (s *stopPlans) observe(list []runtime.Instance) {
	for _, in := range list {
		s.set(in.Name, planOf(in.Labels))
	}
}

// forget drops name's plan once it is removed.
func (s *stopPlans) forget(name string) { s.set(name, stopPlan{}) }

// get returns name's plan.
func (s *stopPlans) get(name string) stopPlan {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name]
}

// stopFor returns the grace and signal to stop name with: its spec's, else
// the backend's. The grace is at least one second: the CLI's 0 is an
// immediate kill.
func (r *Runtime) stopFor(name string) (time.Duration, string) {
	p := r.stops.get(name)
	if p.timeout == 0 {
		p.timeout = r.StopTimeout
	}
	if p.signal == "" {
		p.signal = r.StopSignal
	}
	return max(p.timeout, time.Second), p.signal
}

// stopArgs is the graceful stop: `-t` the grace in whole seconds, `-s` the
// signal when one is set (without it the CLI sends SIGTERM up to 0.12 and
// the image's STOPSIGNAL, else SIGTERM, from 1.0.0). Both flags exist at
// every release from 0.1.0 (ContainerStop.swift). It returns the call's
// deadline too: the grace, then the call itself.
func (r *Runtime) stopArgs(name string) ([]string, time.Duration) {
	grace, sig := r.stopFor(name)
	args := []string{"stop", "-t", strconv.Itoa(int(grace / time.Second))}
	if sig != "" {
		args = append(args, "-s", sig)
	}
	return append(args, name), r.CallTimeout + grace
}
