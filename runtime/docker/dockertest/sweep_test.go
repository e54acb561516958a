package dockertest

import (
	"context"
	"os/exec"
	"strconv"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/store"
)

// TestSweep_RemovesOnlyDeadRuns: through the API, a container named by a
// run whose process has ended is removed; one of this live run and one not
// named by any run are left alone.
func TestSweep_RemovesOnlyDeadRuns(t *testing.T) {
	// The longest pid Linux gives (pid_max is at most 2^22) still makes a
	// prefix the config accepts.
	if p := "vd" + strconv.FormatInt(1<<22, 36) + "-abcdef-"; len(p) > store.MaxNamePrefixLen {
		t.Fatalf("prefix %q is longer than %d", p, store.MaxNamePrefixLen)
	}
	s := Start(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := strconv.FormatInt(int64(gone.Process.Pid), 36)
	if !deadRun(dead) {
		t.Skipf("pid %d was reused at once", gone.Process.Pid)
	}
	c := Client(t, s.Runtime(t))
	ctx := context.Background()
	tag := strconv.Itoa(gone.Process.Pid % 1000000)
	names := map[string]bool{ // name: kept by the sweep
		"vd" + dead + "-abcdef-" + tag:       false,
		prefix("abcdef") + tag:               true,
		"sweep-plain-" + tag + "-" + "0abcd": true,
	}
	for name := range names {
		if _, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name,
			Config: &container.Config{Image: Image, Cmd: []string{"true"}}}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = c.ContainerRemove(context.Background(), name, client.ContainerRemoveOptions{Force: true})
		})
	}
	if _, err := sweep(s.Host); err != nil {
		t.Fatal(err)
	}
	for name, kept := range names {
		_, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
		if got := err == nil; got != kept {
			t.Errorf("%s left after the sweep: %v, want %v (%v)", name, got, kept, err)
		}
	}
}
