package spec_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

func TestChangedFields(t *testing.T) {
	base := spec.Container{Image: "alpine:3.20", Command: []string{"sleep", "1"}, Env: map[string]string{"A": "1"}}
	for _, tc := range []struct {
		name string
		edit func(c *spec.Container)
		want []string
	}{
		{"None", func(c *spec.Container) {}, nil},
		{"NilEqualsEmpty", func(c *spec.Container) { c.Ports, c.Labels = []spec.Port{}, map[string]string{} }, nil},
		{"ImageAndMemory", func(c *spec.Container) { c.Image, c.Memory = "alpine:3.21", 64<<20 }, []string{"image", "memory"}},
		{"EnvValueOnlyNamesTheField", func(c *spec.Container) { c.Env = map[string]string{"A": "secret"} }, []string{"env"}},
		{"LaterFields", func(c *spec.Container) { c.ReadOnly, c.Workdir, c.CapDrop = true, "/srv", []string{"ALL"} }, []string{"workdir", "read_only", "cap_drop"}},
		{"CommandOrder", func(c *spec.Container) { c.Command = []string{"1", "sleep"} }, []string{"command"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := base.Clone()
			tc.edit(&b)
			if got := spec.ChangedFields(&base, &b); !slices.Equal(got, tc.want) {
				t.Fatalf("ChangedFields=%q, want %q", got, tc.want)
			}
		})
	}
}

// TestChangedFields_EveryFieldSeen changes each Container field alone and
// expects exactly that field named: a new field cannot be silently skipped.
func TestChangedFields_EveryFieldSeen(t *testing.T) {
	var zero spec.Container
	full := spec.Container{Image: "a", Command: []string{"x"}, Env: map[string]string{"A": "1"}, CPUs: 1, Memory: 1,
		Labels: map[string]string{"a": "b"}, Entrypoint: []string{"e"}, Workdir: "/w", User: "1",
		Ports: []spec.Port{{HostPort: 80, ContainerPort: 80, Proto: "tcp"}}, Volumes: []spec.Volume{{Source: "v", Target: "/v"}},
		Tmpfs: []string{"/t"}, Network: "n", NetworkAliases: []string{"n"}, StopSignal: "SIGTERM", StopTimeout: spec.Duration(1e9),
		Init: true, ReadOnly: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"}, LogMaxSize: 1 << 20}
	got := spec.ChangedFields(&zero, &full)
	if n, want := len(got), reflect.TypeOf(zero).NumField(); n != want {
		t.Fatalf("ChangedFields named %d fields (%q); update this test's full Container when a field is added", n, got)
	}
}
