package supervisor

import (
	"container/heap"
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// HealthState is what the probes last made of an instance.
type HealthState string

// Health states.
const (
	HealthStarting  HealthState = "starting"  // no success yet, not unhealthy yet
	HealthHealthy   HealthState = "healthy"   // the last verdict was a success
	HealthUnhealthy HealthState = "unhealthy" // Retries failures in a row
)

// DefaultProbeConcurrency bounds the probes run at once.
const DefaultProbeConcurrency = 8

// HealthStatus is one uid's probe state: what status, describe and the planner read.
type HealthStatus struct {
	UID        string             `json:"uid"`
	InstanceID runtime.InstanceID `json:"instance_id"`
	State      HealthState        `json:"state"`
	Probe      string             `json:"probe"`    // cmd, http or tcp
	Failures   int                `json:"failures"` // in a row, outside the start period
	Retries    int                `json:"retries"`
	OnFailure  spec.HealthAction  `json:"on_failure"`
	Last       ProbeResult        `json:"last"`
}

// Prober runs every uid's health probe from one scheduling goroutine: a
// heap of due times, at most Concurrency probes at once, each under its
// timeout, so a probe that hangs holds one slot for its timeout and never a
// pass or another uid. Results stay in memory (the supervisor writes them);
// OnUnhealthy is told of each uid that turns unhealthy.
type Prober struct {
	Runtime     runtime.Runtime
	Concurrency int
	// OnUnhealthy, if set, is called (from a probe's goroutine) when a uid
	// turns unhealthy; it must not block.
	OnUnhealthy func(uid string)
	// OnResult, if set, is called with every probe's outcome (metrics).
	OnResult func(kind string, r ProbeResult)
	// OnChange, if set, is called (from a probe's goroutine) with a uid's
	// state when its health state or failure count changed.
	OnChange func(h HealthStatus)
	// Now stamps the results and measures a start period: the clock that
	// stamps the instances' starts, the supervisor's (a test injects it).
	// Probes are scheduled on the wall clock's intervals all the same.
	// Nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	targets map[string]*target
	due     dueHeap
	kick    chan struct{}
}

// target is one uid's probe and its state.
type target struct {
	uid     string
	id      runtime.InstanceID
	started time.Time
	// startKnown: started came from the runtime or the record, not from
	// when the target was first set.
	startKnown bool
	hc         spec.HealthCheck
	env        map[string]string
	health     HealthStatus
	next       time.Time
	index      int  // in the heap; -1 when not in it
	running    bool // a probe is under way
}

// NewProber returns a prober over rt.
func NewProber(rt runtime.Runtime) *Prober {
	return &Prober{Runtime: rt, Concurrency: DefaultProbeConcurrency,
		targets: map[string]*target{}, kick: make(chan struct{}, 1)}
}

// Set probes uid's instance id (started at started) with hc. The same
// instance with the same start and check keeps its state; a new instance,
// one started again in place (same id, a new start) or a new check starts
// afresh, first probed at once. A zero start is unknown: a new target
// counts its start period from now, and a later call with the start known
// sets it without starting afresh.
func (p *Prober) Set(uid string, id runtime.InstanceID, started time.Time, hc spec.HealthCheck, env map[string]string) {
	hc = hc.WithDefaults()
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.targets[uid]; ok {
		if t.id == id && equalCheck(t.hc, hc) {
			switch {
			case started.IsZero(), t.startKnown && t.started.Equal(started):
				return
			case !t.startKnown:
				t.started, t.startKnown = started, true
				return
			}
		}
		p.drop(t)
	}
	t := &target{uid: uid, id: id, started: started, startKnown: !started.IsZero(), hc: hc, env: env, next: time.Now(), index: -1,
		health: HealthStatus{UID: uid, InstanceID: id, State: HealthStarting, Probe: hc.Kind(), Retries: hc.Retries, OnFailure: hc.OnFailure}}
	if !t.startKnown {
		t.started = p.now()
	}
	p.targets[uid] = t
	heap.Push(&p.due, t)
	p.wake()
}

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Remove stops probing uid.
func (p *Prober) Remove(uid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.targets[uid]; ok {
		p.drop(t)
	}
}

func (p *Prober) drop(t *target) {
	if t.index >= 0 {
		heap.Remove(&p.due, t.index)
	}
	delete(p.targets, t.uid)
}

// UIDs returns the uids probed.
func (p *Prober) UIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.targets))
	for uid := range p.targets {
		out = append(out, uid)
	}
	return out
}

// Status returns uid's probe state, and whether uid is probed.
func (p *Prober) Status(uid string) (HealthStatus, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.targets[uid]
	if !ok {
		return HealthStatus{}, false
	}
	return t.health, true
}

// Snapshot returns every probed uid's state.
func (p *Prober) Snapshot() map[string]HealthStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]HealthStatus, len(p.targets))
	for uid, t := range p.targets {
		out[uid] = t.health
	}
	return out
}

func (p *Prober) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run schedules probes until ctx ends, then waits for those under way.
func (p *Prober) Run(ctx context.Context) {
	slots := make(chan struct{}, max(p.Concurrency, 1))
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t, wait := p.nextDue(time.Now())
		if t == nil {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-p.kick:
			case <-timer.C:
			}
			continue
		}
		select { // a free slot; a hung probe frees its own at its timeout
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r := probeOnce(ctx, p.Runtime, t.hc, t.uid, t.env)
			r.At = p.now()
			p.record(t, r)
		}()
	}
}

// nextDue pops the target due at now, marking it running, or returns how
// long to wait for the next one.
func (p *Prober) nextDue(now time.Time) (*target, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.due) == 0 {
		return nil, time.Hour
	}
	t := p.due[0]
	if wait := t.next.Sub(now); wait > 0 {
		return nil, wait
	}
	heap.Pop(&p.due)
	t.running = true
	return t, 0
}

// record applies a probe's result to its target, unless the target was
// replaced or removed meanwhile, and puts it back in the heap.
func (p *Prober) record(t *target, r ProbeResult) {
	if p.OnResult != nil && !r.Gone {
		p.OnResult(t.hc.Kind(), r)
	}
	p.mu.Lock()
	t.running = false
	if p.targets[t.uid] != t {
		p.mu.Unlock()
		return
	}
	before := t.health
	turned := applyProbe(&t.health, t.hc, t.started, r)
	changed := before.State != t.health.State || before.Failures != t.health.Failures
	now := t.health
	t.next = time.Now().Add(time.Duration(t.hc.Interval))
	heap.Push(&p.due, t)
	p.wake() // the scheduler may be waiting on an empty heap
	p.mu.Unlock()
	if changed && p.OnChange != nil {
		p.OnChange(now)
	}
	if turned && p.OnUnhealthy != nil {
		p.OnUnhealthy(t.uid)
	}
}

// applyProbe is the probe policy: a success makes the instance healthy
// and clears the count; a failure within StartPeriod of its start, before
// any success, does not count; Retries failures in a row make it
// unhealthy. It reports whether the instance turned unhealthy now. A
// result of a container that was gone decides nothing.
func applyProbe(h *HealthStatus, hc spec.HealthCheck, started time.Time, r ProbeResult) (turned bool) {
	if r.Gone {
		return false
	}
	h.Last = r
	switch {
	case r.OK:
		h.State, h.Failures = HealthHealthy, 0
	case h.State == HealthStarting && r.At.Sub(started) < time.Duration(hc.StartPeriod):
		// the start period: not counted
	default:
		h.Failures++
		if h.Failures >= hc.Retries && h.State != HealthUnhealthy {
			h.State = HealthUnhealthy
			return true
		}
	}
	return false
}

func equalCheck(a, b spec.HealthCheck) bool { return reflect.DeepEqual(a, b) }

// dueHeap orders targets by their next probe.
type dueHeap []*target

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *dueHeap) Push(x any) {
	t := x.(*target)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *dueHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
