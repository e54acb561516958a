package podman_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestRun_SpecLogMaxSize: on real podman, the container of a spec that
// sets log_max_size carries that limit, and one that does not carries the
// backend's [logs] max_size. podman inspect shows the limit in decimal
// units to four digits, so the sizes are round in those units.
func TestRun_SpecLogMaxSize(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rt := podmantest.New(t)
	rt.LogMaxSize = 100_000
	for _, tc := range []struct {
		uid  string
		size vspec.LogSize
		want string
	}{{"own", 200_000, "200kB"}, {"backend", 0, "100kB"}} {
		id, err := rt.Run(ctx, runtime.RunSpec{UID: tc.uid, Container: vspec.Container{Image: podmantest.Image,
			Command: []string{"true"}, LogMaxSize: tc.size}, StoreID: "s"})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, rt.Binary, "inspect", "--format", "{{.HostConfig.LogConfig.Size}}", string(id))
		cmd.Env = append(os.Environ(), rt.Env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("podman inspect: %v", err)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("%s: HostConfig.LogConfig.Size = %q, want %q", tc.uid, got, tc.want)
		}
	}
}
