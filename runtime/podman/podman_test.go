package podman_test

import (
	"context"
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

// TestRuntime_Local: the podman the tests run is on this host (no server in
// `podman version`), so its death events may be planned from.
func TestRuntime_Local(t *testing.T) {
	if !podmantest.New(t).Local(context.Background()) {
		t.Fatal("Local false for podman on this host")
	}
}
