package main

import (
	"testing"

	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// podmanEnv is an env on real podman, with containers named for this test.
func podmanEnv(t *testing.T) (*testEnv, *podman.Runtime) {
	rt := podmantest.New(t)
	e := newTestEnv(t, "")
	e.UsePodman(rt.Prefix)
	return e, rt
}
