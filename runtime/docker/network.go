package docker

import (
	"context"
	"fmt"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.NetworkManager = (*Runtime)(nil)

// EnsureNetwork creates a user bridge network (the engine's DNS resolves
// container names and aliases on it) unless one has the name. A concurrent
// create of the same name is not an error.
//
// Calls are serialised: an engine before API 1.44 (Debian's dockerd 20.10)
// creates a second network of the same name when asked, after which every
// use of the name fails as ambiguous; the launches of one project's services
// ensure its network at the same time. (Another process creating the name
// at that very moment can still race; only veloslet's daemon creates these.)
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	r.netMu.Lock()
	defer r.netMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	if _, err := r.c.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
		return nil
	} else if ambiguous(err) {
		return r.dedupe(ctx, name)
	} else if !isNotFound(err) {
		return fmt.Errorf("inspect network %s: %w", name, r.translate(err, "network"))
	}
	_, err := r.c.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err == nil || cerrdefs.IsConflict(err) {
		return nil
	}
	// Lost a race to a concurrent create: dockerd says 409, podman's
	// service 500 "network already exists". Whatever the wording, the
	// network now there is the one asked for.
	if _, ierr := r.c.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); ierr == nil {
		return nil
	}
	return fmt.Errorf("create network %s: %w", name, r.translate(err, "network"))
}

// RemoveNetwork removes the network; gone is fine, attached is ErrNetworkInUse.
func (r *Runtime) RemoveNetwork(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	_, err := r.c.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
	switch {
	case err == nil || isNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) || cerrdefs.IsFailedPrecondition(err) || cerrdefs.IsPermissionDenied(err) || inUse(err):
		return fmt.Errorf("%w: %s: %v", runtime.ErrNetworkInUse, name, err)
	}
	return fmt.Errorf("remove network %s: %w", name, r.translate(err, "network"))
}

// Networks lists the networks labelled key=value.
func (r *Runtime) Networks(ctx context.Context, key, value string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	res, err := r.c.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", key+"="+value)})
	if err != nil {
		return nil, r.translate(err, "network ls")
	}
	var names []string
	for _, n := range res.Items {
		names = append(names, n.Name)
	}
	return names, nil
}

// inUse reads the wording of podman's API service, which answers 500 for a
// network with containers (dockerd answers 403, "active endpoints").
func inUse(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "network is being used") || strings.Contains(msg, "active endpoints")
}

// ambiguous reports dockerd's answer for a name that several networks have.
func ambiguous(err error) bool { return strings.Contains(err.Error(), "ambiguous") }

// dedupe removes the extra networks named name that an engine before API
// 1.44 made for concurrent creates (earlier veloslets did not serialise
// them), after which every use of the name fails as ambiguous: the newest
// first, skipping any with containers attached, until one is left.
func (r *Runtime) dedupe(ctx context.Context, name string) error {
	res, err := r.c.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("name", name)})
	if err != nil {
		return fmt.Errorf("list networks named %s: %w", name, r.translate(err, "network ls"))
	}
	var same []network.Summary
	for _, n := range res.Items {
		if n.Name == name { // the filter matches substrings
			same = append(same, n)
		}
	}
	sort.Slice(same, func(i, j int) bool { return same[i].Created.After(same[j].Created) })
	left := len(same)
	for _, n := range same {
		if left <= 1 {
			break
		}
		if _, err := r.c.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err == nil || isNotFound(err) {
			left--
		}
	}
	if left > 1 {
		return fmt.Errorf("network %s: %d networks have that name, each with containers attached; remove all but one", name, left)
	}
	return nil
}
