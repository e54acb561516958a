package spec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// TestValidate_HostileNewFields: each hostile value is refused with its
// field named, and the runtime layer refuses it too when built by hand.
func TestValidate_HostileNewFields(t *testing.T) {
	many := make([]spec.Port, 10000)
	for i := range many {
		many[i] = spec.Port{HostPort: uint16(1 + i), ContainerPort: 80, Proto: "tcp"}
	}
	cases := []struct {
		name, field string
		set         func(*spec.Container)
		runtimeToo  bool // runtime.RunSpec.Check refuses it as well
	}{
		{"EntrypointFlag", "entrypoint[0]", func(c *spec.Container) { c.Entrypoint = []string{"--privileged"} }, true},
		{"EntrypointEmpty", "entrypoint[0]", func(c *spec.Container) { c.Entrypoint = []string{""} }, true},
		{"EntrypointNUL", "entrypoint[1]", func(c *spec.Container) { c.Entrypoint = []string{"/bin/sh", "a\x00b"} }, true},
		{"WorkdirRelative", "workdir", func(c *spec.Container) { c.Workdir = "srv" }, false},
		{"WorkdirFlag", "workdir", func(c *spec.Container) { c.Workdir = "-w" }, true},
		{"WorkdirDotDot", "workdir", func(c *spec.Container) { c.Workdir = "/srv/../etc" }, false},
		{"WorkdirColon", "workdir", func(c *spec.Container) { c.Workdir = "/srv:/x" }, false},
		{"WorkdirNUL", "workdir", func(c *spec.Container) { c.Workdir = "/srv\x00" }, true},
		{"UserFlag", "user", func(c *spec.Container) { c.User = "-0" }, true},
		{"UserSpace", "user", func(c *spec.Container) { c.User = "root user" }, false},
		{"UserNUL", "user", func(c *spec.Container) { c.User = "r\x00" }, true},
		{"TenThousandPorts", "ports", func(c *spec.Container) { c.Ports = many }, false},
		{"PortZero", "ports[0]", func(c *spec.Container) { c.Ports = []spec.Port{{HostPort: 0, ContainerPort: 80, Proto: "tcp"}} }, true},
		{"PortProto", "ports[0]", func(c *spec.Container) { c.Ports = []spec.Port{{HostPort: 1, ContainerPort: 80, Proto: "sctp"}} }, true},
		{"PortHostIP", "ports[0]", func(c *spec.Container) {
			c.Ports = []spec.Port{{HostIP: "-h", HostPort: 1, ContainerPort: 80, Proto: "tcp"}}
		}, true},
		{"PortTwice", "ports[1]", func(c *spec.Container) {
			c.Ports = []spec.Port{{HostPort: 1, ContainerPort: 80, Proto: "tcp"}, {HostPort: 1, ContainerPort: 81, Proto: "tcp"}}
		}, false},
		{"VolumeColon", "volumes[0]", func(c *spec.Container) {
			c.Volumes = []spec.Volume{{Source: "/a:b", Target: "/x", Kind: spec.VolumeBind}}
		}, true},
		{"VolumeFlagName", "volumes[0]", func(c *spec.Container) {
			c.Volumes = []spec.Volume{{Source: "-v", Target: "/x", Kind: spec.VolumeNamed}}
		}, true},
		{"VolumeKind", "volumes[0]", func(c *spec.Container) {
			c.Volumes = []spec.Volume{{Source: "data", Target: "/x", Kind: spec.VolumeBind}}
		}, false},
		{"VolumeTargetTwice", "volumes[1]", func(c *spec.Container) {
			c.Volumes = []spec.Volume{{Source: "a", Target: "/x", Kind: spec.VolumeNamed}, {Source: "/b", Target: "/x", Kind: spec.VolumeBind}}
		}, false},
		{"TmpfsRelative", "tmpfs[0]", func(c *spec.Container) { c.Tmpfs = []string{"run"} }, false},
		{"TmpfsFlag", "tmpfs[0]", func(c *spec.Container) { c.Tmpfs = []string{"--rm"} }, true},
		{"TmpfsColon", "tmpfs[0]", func(c *spec.Container) { c.Tmpfs = []string{"/run:exec"} }, false},
		{"TmpfsOnVolume", "tmpfs[0]", func(c *spec.Container) {
			c.Volumes = []spec.Volume{{Source: "a", Target: "/run", Kind: spec.VolumeNamed}}
			c.Tmpfs = []string{"/run"}
		}, false},
		{"NetworkFlag", "network", func(c *spec.Container) { c.Network = "--net=host" }, true},
		{"NetworkNUL", "network", func(c *spec.Container) { c.Network = "n\x00" }, true},
		{"AliasFlag", "network_aliases[0]", func(c *spec.Container) { c.Network = "n"; c.NetworkAliases = []string{"-a"} }, true},
		{"AliasTwice", "network_aliases[1]", func(c *spec.Container) { c.Network = "n"; c.NetworkAliases = []string{"a", "a"} }, false},
		{"AliasWithoutNetwork", "network_aliases", func(c *spec.Container) { c.NetworkAliases = []string{"a"} }, false},
		{"SignalUnknown", "stop_signal", func(c *spec.Container) { c.StopSignal = "SIGFOO" }, false},
		{"SignalFlag", "stop_signal", func(c *spec.Container) { c.StopSignal = "-9" }, true},
		{"SignalNoPrefix", "stop_signal", func(c *spec.Container) { c.StopSignal = "TERM" }, false},
		{"TimeoutNegative", "stop_timeout", func(c *spec.Container) { c.StopTimeout = spec.Duration(-time.Second) }, true},
		{"TimeoutFraction", "stop_timeout", func(c *spec.Container) { c.StopTimeout = spec.Duration(1500 * time.Millisecond) }, false},
		{"TimeoutLong", "stop_timeout", func(c *spec.Container) { c.StopTimeout = spec.Duration(2 * time.Hour) }, false},
		{"CapLower", "cap_add[0]", func(c *spec.Container) { c.CapAdd = []string{"net_admin"} }, false},
		{"CapFlag", "cap_drop[0]", func(c *spec.Container) { c.CapDrop = []string{"--all"} }, true},
		{"CapTwice", "cap_add[1]", func(c *spec.Container) { c.CapAdd = []string{"CHOWN", "CHOWN"} }, false},
		{"CapMany", "cap_add", func(c *spec.Container) {
			for i := range 100 {
				c.CapAdd = append(c.CapAdd, fmt.Sprintf("CAP_%d", i))
			}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := spec.Spec{UID: "a", Container: spec.Container{Image: "busybox"}}
			s.Normalize()
			tc.set(&s.Container)
			err := s.Validate()
			var ve *spec.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, spec.ErrInvalid) || !strings.Contains(err.Error(), `spec "a"`) {
				t.Fatalf("Validate = %v; want a ValidationError of %s", err, tc.field)
			}
			rs := runtime.NewRunSpec(&s, "store")
			if err := rs.Check(); tc.runtimeToo && !errors.Is(err, runtime.ErrInvalid) {
				t.Fatalf("RunSpec.Check = %v; want ErrInvalid", err)
			}
		})
	}
}

// TestValidate_SignalSuggests: a signal name without its prefix or in
// lower case is answered with the name to write.
func TestValidate_SignalSuggests(t *testing.T) {
	s := spec.Spec{UID: "a", Container: spec.Container{Image: "busybox", StopSignal: "term"}}
	s.Normalize()
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "did you mean SIGTERM?") {
		t.Fatalf("Validate = %v", err)
	}
}
