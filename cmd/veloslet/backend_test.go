package main

import (
	"testing"

	"github.com/veloslet/veloslet/runtime/docker/dockertest"
)

// TestResolveBackend_AutoPicksDocker: "auto" picks the docker backend when
// the configured socket answers, and not when the platform's CLI is named
// by a binary of its own or nothing answers.
func TestResolveBackend_AutoPicksDocker(t *testing.T) {
	t.Parallel()
	s := dockertest.Start(t)
	c := DefaultConfig().Runtime
	c.Docker.Host = s.Host
	if b, err := resolveBackend(c); err != nil || b != "docker" {
		t.Fatalf("auto with %s answering: %q, %v; want docker", s.Host, b, err)
	}
	named := c
	named.Podman.Binary, named.Apple.Binary = "/usr/bin/true", "/usr/bin/true"
	if b, _ := resolveBackend(named); b == "docker" {
		t.Fatal("auto picked docker although a CLI binary was named")
	}
	c.Docker.Host = "unix://" + t.TempDir() + "/none.sock"
	if b, _ := resolveBackend(c); b == "docker" {
		t.Fatal("auto picked docker with no socket answering")
	}
}
