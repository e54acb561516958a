package podman_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/veloslet/veloslet/runtime/podman"
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

// TestLocal_AsksOnce: relaunches that ask at once where podman runs make
// one `podman version` between them.
func TestLocal_AsksOnce(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/calls\"\nsleep 0.2\necho '{\"Client\":{\"Version\":\"4.3.1\"}}'\n"
	if err := os.WriteFile(filepath.Join(dir, "podman"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	rt := podman.New(filepath.Join(dir, "podman"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if !rt.Local(context.Background()) {
				t.Error("Local false for a podman with no server")
			}
		})
	}
	wg.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "calls"))
	if err != nil || strings.Count(string(b), "version") != 1 {
		t.Fatalf("calls %q (%v), want one podman version", b, err)
	}
}
