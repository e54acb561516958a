package docker_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
)

// TestNetworks_Docker: through the Engine API (podman's service, or the
// dockerd of VELOSLET_DOCKER_HOST), EnsureNetwork creates a labelled
// network once, Networks finds it by label, RemoveNetwork refuses while a
// container is attached and forgives a network already gone.
func TestNetworks_Docker(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(rt.Prefix, "-") + "_default"
	t.Cleanup(func() { _ = rt.RemoveNetwork(context.Background(), name) })
	for range 2 {
		if err := rt.EnsureNetwork(ctx, name, map[string]string{runtime.LabelStore: rt.Prefix}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rt.Networks(ctx, runtime.LabelStore, rt.Prefix)
	if err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Networks = %v, %v", got, err)
	}
	c := dockertest.Client(t, rt)
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: rt.Prefix + "attached",
		Config:     &container.Config{Image: dockertest.Image, Cmd: []string{"busybox", "sleep", "600"}},
		HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(name)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveNetwork(ctx, name); !errors.Is(err, runtime.ErrNetworkInUse) {
		t.Fatalf("remove while attached: %v", err)
	}
	if _, err := c.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rt.RemoveNetwork(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNetworks_DockerConcurrentEnsure: launches of one project's services
// ensure its network at the same time; every call must succeed however the
// server words the losing creates (podman's service answers them 500,
// "network already exists", not 409), and one network must result (dockerd
// 20.10 makes a second of the same name when asked).
func TestNetworks_DockerConcurrentEnsure(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(rt.Prefix, "-") + "_race"
	t.Cleanup(func() { _ = rt.RemoveNetwork(context.Background(), name) })
	errs := make(chan error, 8)
	start := make(chan struct{})
	for range cap(errs) {
		go func() {
			<-start
			errs <- rt.EnsureNetwork(ctx, name, map[string]string{runtime.LabelStore: rt.Prefix})
		}()
	}
	close(start)
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent EnsureNetwork: %v", err)
		}
	}
	if got, err := rt.Networks(ctx, runtime.LabelStore, rt.Prefix); err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Networks = %v, %v; want one %s", got, err, name)
	}
}

// TestNetworks_DockerDuplicateRepaired: two networks of one name (what
// dockerd 20.10 made of concurrent creates before they were serialised)
// make every use of the name fail as ambiguous; EnsureNetwork removes the
// extra one. Skipped where the server refuses the second create.
func TestNetworks_DockerDuplicateRepaired(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(rt.Prefix, "-") + "_dup"
	labels := map[string]string{runtime.LabelStore: rt.Prefix}
	t.Cleanup(func() {
		for range 2 {
			_ = rt.RemoveNetwork(context.Background(), name)
		}
	})
	for i := range 2 {
		if _, err := dockertest.Client(t, rt).NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels}); err != nil {
			if i == 1 {
				t.Skipf("the server refuses a second network named %s: %v", name, err)
			}
			t.Fatal(err)
		}
	}
	if err := rt.EnsureNetwork(ctx, name, labels); err != nil {
		t.Fatal(err)
	}
	if got, err := rt.Networks(ctx, runtime.LabelStore, rt.Prefix); err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Networks = %v, %v; want one %s", got, err, name)
	}
}
