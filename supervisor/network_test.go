package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// netRuntime is the fake with networks: Run refuses a network that does
// not exist, as podman and Docker do, and RemoveNetwork refuses one that a
// container is attached to.
type netRuntime struct {
	*fake.Runtime
	mu      sync.Mutex
	nets    map[string]map[string]string // name → labels
	removed []string
	failErr error // EnsureNetwork's answer when set
}

func (r *netRuntime) Run(ctx context.Context, s runtime.RunSpec) (runtime.InstanceID, error) {
	r.mu.Lock()
	_, ok := r.nets[s.Network]
	r.mu.Unlock()
	if s.Network != "" && !ok {
		return "", fmt.Errorf("network %s not found", s.Network)
	}
	return r.Runtime.Run(ctx, s)
}

func (r *netRuntime) EnsureNetwork(_ context.Context, name string, labels map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failErr != nil {
		return r.failErr
	}
	if _, ok := r.nets[name]; !ok {
		r.nets[name] = maps.Clone(labels)
	}
	return nil
}

func (r *netRuntime) RemoveNetwork(ctx context.Context, name string) error {
	list, err := r.Runtime.List(ctx)
	if err != nil {
		return err
	}
	for _, in := range list {
		if in.Labels[runtime.NetworkLabel] == name {
			return runtime.ErrNetworkInUse
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.nets, name)
	r.removed = append(r.removed, name)
	return nil
}

func (r *netRuntime) Networks(_ context.Context, key, value string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for n, l := range r.nets {
		if l[key] == value {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (r *netRuntime) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.nets))
}

func netSpec(uid, project, network string) store.Spec {
	return store.Spec{UID: uid, Container: vspec.Container{Image: "busybox", Network: network, NetworkAliases: []string{uid},
		Labels: map[string]string{runtime.NetworkLabel: network, "com.docker.compose.project": project}}}
}

// TestNetworks_CreatedBeforeLaunchRemovedWithLastSpec: a spec asking for
// its network has it created (labelled with the store and the project)
// before its launch; the network stays while one spec of the project
// remains and goes once none does, after its containers; a network of
// another store or made by hand is never touched.
func TestNetworks_CreatedBeforeLaunchRemovedWithLastSpec(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	nr := &netRuntime{Runtime: rt, nets: map[string]map[string]string{"by-hand": {}, "other-store": {runtime.LabelStore: "elsewhere"}}}
	s.Runtime = nr
	storetest.MustApply(t, s.DB, netSpec("shop-web", "shop", "shop_default"), netSpec("shop-db", "shop", "shop_default"),
		netSpec("blog-web", "blog", "blog_default"))
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := nr.names(); !slices.Equal(got, []string{"blog_default", "by-hand", "other-store", "shop_default"}) {
		t.Fatalf("networks after launch: %v", got)
	}
	if l := nr.nets["shop_default"]; l[runtime.LabelStore] != s.DB.StoreID() || l["com.docker.compose.project"] != "shop" {
		t.Errorf("labels of shop_default: %v", l)
	}
	if n := len(mustList(t, rt)); n != 3 {
		t.Fatalf("%d instances, want 3", n)
	}
	if err := s.DB.DeleteSpecs(ctx, "shop-web"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(nr.names(), "shop_default") {
		t.Fatal("shop_default removed while shop-db remains")
	}
	if err := s.DB.DeleteSpecs(ctx, "shop-db", "blog-web"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := nr.names(); !slices.Equal(got, []string{"by-hand", "other-store"}) {
		t.Errorf("networks after the last specs went: %v (removed %v)", got, nr.removed)
	}
	if n := len(mustList(t, rt)); n != 0 {
		t.Errorf("%d instances left", n)
	}
}

func mustList(t *testing.T, rt runtime.Runtime) []runtime.Instance {
	t.Helper()
	l, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestNetworks_EnsureFailureFailsTheLaunch: a network that cannot be
// created fails the launch like a failed run (an event, a retry later),
// and the spec's instance is launched once it can be.
func TestNetworks_EnsureFailureFailsTheLaunch(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	nr := &netRuntime{Runtime: rt, nets: map[string]map[string]string{}, failErr: errors.New("network create refused")}
	s.Runtime = nr
	storetest.MustApply(t, s.DB, netSpec("shop-web", "shop", "shop_default"))
	if err := s.Reconcile(ctx); err == nil || !strings.Contains(err.Error(), "network create refused") {
		t.Fatalf("pass: %v", err)
	}
	if n := len(mustList(t, rt)); n != 0 {
		t.Fatalf("%d instances launched without their network", n)
	}
	nr.mu.Lock()
	nr.failErr = nil
	nr.mu.Unlock()
	clock.Add(time.Hour) // past any back-off
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(mustList(t, rt)); n != 1 || !slices.Contains(nr.names(), "shop_default") {
		t.Fatalf("after the network could be made: %d instances, networks %v", n, nr.names())
	}
}
