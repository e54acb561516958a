package fake

import (
	"sync"

	"github.com/veloslet/veloslet/runtime"
)

// runs keeps the last RunSpec the fake launched for each uid, whole, so that
// tests can assert every field a pass passed to the runtime (ports, volumes,
// user, stop signal, …) without the fake modelling each one. It lives in
// this process only: a fake shared through a state file keeps no RunSpecs.
type runs struct {
	mu   sync.Mutex
	last map[string]runtime.RunSpec
}

func (rs *runs) record(s runtime.RunSpec) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.last == nil {
		rs.last = make(map[string]runtime.RunSpec)
	}
	rs.last[s.UID] = s
}

// LastRun returns the RunSpec of the last successful Run for uid by this
// process (a copy: changing it changes nothing here), and whether there was
// one. It stays after the container is removed.
func (r *Runtime) LastRun(uid string) (runtime.RunSpec, bool) {
	rs := &r.b.runs
	rs.mu.Lock()
	defer rs.mu.Unlock()
	s, ok := rs.last[uid]
	if ok {
		s.Container = s.Container.Clone()
	}
	return s, ok
}

// Configure applies the options a backend takes: the name prefix and the
// store id (the fake has no binary and no deadlines).
func (r *Runtime) Configure(o runtime.Options) {
	if o.NamePrefix != "" {
		r.Prefix = o.NamePrefix
	}
	if o.StoreID != "" {
		r.StoreID = o.StoreID
	}
}
