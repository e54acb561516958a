package supervisor

import (
	"context"
	"errors"
	"sync"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Networks veloslet creates: a spec labelled runtime.NetworkLabel with its
// own network's name has that network created before its launch; once no
// spec carries the label for it, the network is removed, after the pass's
// removals so that no instance of ours is still attached. Only networks
// labelled with this store's id are ever removed.

// projectLabel is copied from a spec onto the network it creates, so that
// `docker network ls` and `podman network ls` show whose it is.
const projectLabel = "com.docker.compose.project"

type networks struct {
	mu     sync.Mutex
	wanted map[int64]map[string]bool // by full pass: the networks its specs want
	known  map[string]bool           // the newest swept pass's; nil before the first sweep
	retry  bool                      // a removal failed (in use): sweep again
}

// ensureNetwork creates sp's network if sp asks for it and the runtime can.
func (s *Supervisor) ensureNetwork(ctx context.Context, sp *store.Spec) error {
	nm, ok := s.Runtime.(runtime.NetworkManager)
	name := sp.Labels[runtime.NetworkLabel]
	if !ok || name == "" || name != sp.Network {
		return nil
	}
	labels := map[string]string{runtime.LabelStore: s.DB.StoreID()}
	if p := sp.Labels[projectLabel]; p != "" {
		labels[projectLabel] = p
	}
	return nm.EnsureNetwork(ctx, name, labels)
}

// noteNetworks keeps the networks a full pass's specs want until it ends.
func (s *Supervisor) noteNetworks(passID int64, specs []*store.Spec) {
	if _, ok := s.Runtime.(runtime.NetworkManager); !ok {
		return
	}
	want := map[string]bool{}
	for _, sp := range specs {
		if n := sp.Labels[runtime.NetworkLabel]; n != "" && n == sp.Network {
			want[n] = true
		}
	}
	s.nets.mu.Lock()
	defer s.nets.mu.Unlock()
	if s.nets.wanted == nil {
		s.nets.wanted = map[int64]map[string]bool{}
	}
	s.nets.wanted[passID] = want
}

// sweepNetworks removes this store's networks that the full pass passID's
// specs no longer want. It lists the runtime's networks only on the first
// full pass, when a wanted network went away, or after a failed removal.
func (s *Supervisor) sweepNetworks(ctx context.Context, passID int64) {
	nm, ok := s.Runtime.(runtime.NetworkManager)
	if !ok {
		return
	}
	s.nets.mu.Lock()
	want, full := s.nets.wanted[passID]
	delete(s.nets.wanted, passID)
	due := full && (s.nets.known == nil || s.nets.retry)
	for n := range s.nets.known {
		due = due || (full && !want[n])
	}
	if full {
		s.nets.known = want
	}
	if due {
		s.nets.retry = false
	}
	s.nets.mu.Unlock()
	if !due {
		return
	}
	names, err := nm.Networks(ctx, runtime.LabelStore, s.DB.StoreID())
	retry := err != nil
	for _, n := range names {
		if want[n] {
			continue
		}
		if err = nm.RemoveNetwork(ctx, n); err != nil {
			retry = true
			if !errors.Is(err, runtime.ErrNetworkInUse) {
				s.logger().Error("remove network", "network", n, LogKeyPass, passID, LogKeyError, err)
			}
		}
	}
	if retry {
		s.nets.mu.Lock()
		s.nets.retry = true
		s.nets.mu.Unlock()
	}
}
