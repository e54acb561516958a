package podman

import (
	"slices"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestRunArgs_LogMaxSize: the spec's log_max_size is the --log-opt
// max-size of its run, in place of the backend's [logs] max_size; with
// neither, no --log-opt at all.
func TestRunArgs_LogMaxSize(t *testing.T) {
	for _, tc := range []struct {
		name          string
		spec, backend int64
		want          string // "" = no --log-opt
	}{
		{"SpecOverridesBackend", 128 << 10, 10 << 20, "max-size=131072"},
		{"SpecAlone", 1 << 20, 0, "max-size=1048576"},
		{"BackendAlone", 0, 10 << 20, "max-size=10485760"},
		{"Neither", 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := runtime.RunSpec{UID: "web", Container: vspec.Container{Image: "img", LogMaxSize: vspec.LogSize(tc.spec)}}
			args := runArgs("velos-web", s, runOptions{logMax: tc.backend, stop: time.Second})
			i := slices.Index(args, "--log-opt")
			switch {
			case tc.want == "" && i >= 0:
				t.Fatalf("args %q have --log-opt, want none", args)
			case tc.want != "" && (i < 0 || i+1 >= len(args) || args[i+1] != tc.want):
				t.Fatalf("args %q, want --log-opt %s", args, tc.want)
			case tc.want != "" && slices.Index(args[i+1:], "--log-opt") >= 0:
				t.Fatalf("args %q set --log-opt twice", args)
			case i >= 0 && i > slices.Index(args, "--"):
				t.Fatalf("args %q: --log-opt after the image", args)
			}
		})
	}
}
