package dockertest

import (
	"context"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Network is the default bridge network by the name Docker gives it (and
// podman's API service maps onto its own default).
const Network = "bridge"

// Fields returns the hooks of the contract's spec-field cases over rt. The
// port cases run on every server: podman's API service and the CI's dockerd
// (.ci/dockerd-test gives it a bridge of its own and the userland proxy)
// both publish ports on Network.
func Fields(rt *docker.Runtime) *runtimetest.Fields {
	return &runtimetest.Fields{
		VolumeImage: VolumeImage,
		Network:     Network,
		Mounts: func(tb testing.TB, id runtime.InstanceID) []string {
			tb.Helper()
			return Mounts(tb, rt, string(id))
		},
		VolumeExists: func(tb testing.TB, name string) bool {
			tb.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := Client(tb, rt).VolumeInspect(ctx, name, client.VolumeInspectOptions{})
			if err != nil && !cerrdefs.IsNotFound(err) {
				tb.Fatalf("inspect volume %s: %v", name, err)
			}
			return err == nil
		},
		RemoveVolume: func(tb testing.TB, name string) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = Client(tb, rt).VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true})
		},
	}
}

// Mounts returns the names of the volumes container ref mounts.
func Mounts(tb testing.TB, rt *docker.Runtime, ref string) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Client(tb, rt).ContainerInspect(ctx, ref, client.ContainerInspectOptions{})
	if err != nil {
		tb.Fatalf("inspect %s: %v", ref, err)
	}
	var names []string
	for _, m := range res.Container.Mounts {
		if m.Type == "volume" {
			names = append(names, m.Name)
		}
	}
	return names
}
