package podman_test

import (
	"testing"

	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/supervisor/supervisortest"
)

func TestContract_Podman(t *testing.T) {
	runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness { return podmantest.Harness(t) })
}

func TestCrashRecovery_Podman(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness { return podmantest.Harness(t) })
}
