package podmantest

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Network is podman's default bridge network by the name both podman and
// Docker give it. The tests' containers.conf turns networking off by
// default (netns = "none"); a spec that names this network gets a bridge,
// as on a stock podman.
const Network = "bridge"

// Fields returns the hooks of the contract's spec-field cases over rt.
func Fields(rt *podman.Runtime) *runtimetest.Fields {
	return &runtimetest.Fields{
		VolumeImage: VolumeImage,
		Network:     Network,
		Mounts:      func(tb testing.TB, id runtime.InstanceID) []string { tb.Helper(); return Mounts(tb, rt, string(id)) },
		VolumeExists: func(tb testing.TB, name string) bool {
			tb.Helper()
			err := command(rt, "volume", "exists", name).Run()
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
				tb.Fatalf("podman volume exists %s: %v", name, err)
			}
			return err == nil
		},
		RemoveVolume: func(tb testing.TB, name string) { _ = command(rt, "volume", "rm", "--force", name).Run() },
	}
}

// Mounts returns the names of the volumes container ref mounts.
func Mounts(tb testing.TB, rt *podman.Runtime, ref string) []string {
	tb.Helper()
	out, err := command(rt, "inspect", "--type", "container", "--format", "{{json .Mounts}}", ref).Output()
	if err != nil {
		tb.Fatalf("podman inspect %s: %v", ref, err)
	}
	var mounts []struct{ Type, Name string }
	if err := json.Unmarshal(out, &mounts); err != nil {
		tb.Fatalf("podman inspect %s: %v: %s", ref, err, out)
	}
	var names []string
	for _, m := range mounts {
		if m.Type == "volume" {
			names = append(names, m.Name)
		}
	}
	return names
}

func command(rt *podman.Runtime, args ...string) *exec.Cmd {
	cmd := exec.Command(rt.Binary, args...)
	cmd.Env = append(os.Environ(), rt.Env...)
	return cmd
}
