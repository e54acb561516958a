package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// ListUID returns the container named for uid, from one inspect by name:
// a death's pass asks about its uid alone, and the list endpoint costs the
// server a walk over every container (about 0.2 s on podman's service with
// a hundred of them, against 5 ms for an inspect). A server that answers
// otherwise than found or not found fails the look; the pass then lists the
// host, as it would for any uid it cannot decide. Unlike List it gives a
// running container's start time too (the list endpoint has none).
func (r *Runtime) ListUID(ctx context.Context, uid string) ([]runtime.Instance, error) {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	name := runtime.Name(r.Prefix, uid)
	res, err := r.c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	switch {
	case isNotFound(err):
		return nil, nil
	case err != nil:
		return nil, r.translate(err, "inspect "+name)
	}
	c := res.Container
	switch {
	case trimSlash(c.Name) != name:
		return nil, nil // inspect also takes an id or its prefix: only the name counts here
	case c.State == nil:
		return nil, fmt.Errorf("docker inspect %s: the answer has no state", name)
	}
	in := runtime.Instance{UID: uid, ID: runtime.InstanceID(c.ID), Name: name, Labels: map[string]string{}}
	if c.Config != nil {
		in.Labels = copyLabels(c.Config.Labels)
	}
	fill(&in, c.State)
	return []runtime.Instance{in}, nil
}
