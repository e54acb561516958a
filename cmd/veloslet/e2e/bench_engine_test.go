package e2e

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// engineMinUp is how long a container runs before the benchmark kills it
// again when the docker part's server is a Docker Engine (VELOSLET_DOCKER_HOST):
// its restart manager waits 100 ms before restarting a container and doubles
// the wait for each restart of one that ran under 10 s, so natives killed
// sooner would be measured in their back-off, while ours run with none.
const engineMinUp = 11 * time.Second

// engineNative runs a native through the Engine API (a dockerd's natives
// are its own, not podman's): restart policy always, and otherwise the
// API's defaults, as ours have.
func (b *bench) engineNative(name, token string) {
	b.t.Helper()
	c := b.engineClient()
	ctx := context.Background()
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name,
		Config:     &container.Config{Image: podmantest.Image, Cmd: []string{"sleep", token}},
		HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}})
	if err != nil {
		b.t.Fatalf("create native %s: %v", name, err)
	}
	b.t.Cleanup(func() { b.removeNative(name) })
	if _, err := c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		b.t.Fatalf("start native %s: %v", name, err)
	}
}

func (b *bench) removeNative(name string) {
	if b.engine == "" {
		b.podman("rm", "--force", "-t", "0", name)
		return
	}
	_, _ = b.engineClient().ContainerRemove(context.Background(), name, client.ContainerRemoveOptions{Force: true})
}

func (b *bench) engineClient() *client.Client {
	b.t.Helper()
	if b.api == nil {
		rt, err := docker.New(b.engine)
		if err != nil {
			b.t.Fatal(err)
		}
		b.t.Cleanup(func() { _ = rt.Close() })
		b.api = dockertest.Client(b.t, rt)
	}
	return b.api
}

// pace waits, with an engine's natives, until every token's process has run
// engineMinUp since the benchmark last saw it start (see engineMinUp).
func (b *bench) pace(tokens []string) {
	if b.engine == "" {
		return
	}
	for _, tok := range tokens {
		if wait := time.Until(b.upSince[tok].Add(engineMinUp)); wait > 0 {
			time.Sleep(wait) // pacing the kills, not waiting for an effect
		}
	}
}
