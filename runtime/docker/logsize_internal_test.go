package docker

import (
	"context"
	"maps"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestLogConfig_SpecLogMaxSize: the create's LogConfig bounds the file to
// the spec's log_max_size, in place of the backend's LogMaxSize, wherever
// the server's driver keeps a file; a driver that keeps none gets no
// option whatever the spec says (the server would refuse the create).
func TestLogConfig_SpecLogMaxSize(t *testing.T) {
	for _, tc := range []struct {
		name          string
		driver        string
		spec, backend int64
		want          map[string]string // nil: no option
	}{
		{"SpecOverridesBackend", "json-file", 128 << 10, 10 << 20, map[string]string{"max-size": "131072"}},
		{"SpecAlone", "local", 1 << 20, 0, map[string]string{"max-size": "1048576"}},
		{"BackendAlone", "json-file", 0, 10 << 20, map[string]string{"max-size": "10485760"}},
		{"PodmanService", "", 1 << 20, 0, map[string]string{"max-size": "1048576"}},
		{"Neither", "json-file", 0, 0, nil},
		{"DriverWithoutFile", "journald", 1 << 20, 10 << 20, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The driver is known, so logConfig asks the server nothing.
			r := &Runtime{LogMaxSize: tc.backend, driver: tc.driver, driverKnown: true}
			s := runtime.RunSpec{UID: "web", Container: vspec.Container{Image: "img", LogMaxSize: vspec.LogSize(tc.spec)}}
			got := r.logConfig(context.Background(), s)
			if got.Type != "" || !maps.Equal(got.Config, tc.want) || (tc.want == nil) != (got.Config == nil) {
				t.Fatalf("LogConfig %+v, want config %v and the server's driver", got, tc.want)
			}
		})
	}
}
