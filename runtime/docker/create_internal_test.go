package docker

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// Every spec field lands where the Engine API takes it.
func TestCreateOptions_SpecFields(t *testing.T) {
	s := runtime.RunSpec{UID: "web", Container: vspec.Container{
		Image: "img", Command: []string{"-x"},
		Entrypoint: []string{"/bin/sh", "-c"}, Workdir: "/srv", User: "1000",
		Ports: []vspec.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
			{HostPort: 5353, ContainerPort: 53, Proto: "udp"}},
		Volumes: []vspec.Volume{{Source: "data", Target: "/data", Kind: vspec.VolumeNamed},
			{Source: "/srv/site", Target: "/www", ReadOnly: true, Kind: vspec.VolumeBind}},
		Tmpfs: []string{"/run"}, Network: "net1", NetworkAliases: []string{"db"},
		StopSignal: "SIGINT", StopTimeout: vspec.Duration(30 * time.Second),
		Init: true, ReadOnly: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"},
	}}
	o := createOptions("velos-web", s, 5*time.Second, []imageVolume{{"velos-web-0123456789ab", "/var/lib"}})
	cfg, hc := o.Config, o.HostConfig
	if !slices.Equal(cfg.Entrypoint, s.Entrypoint) || !slices.Equal(cfg.Cmd, s.Command) || cfg.WorkingDir != "/srv" || cfg.User != "1000" {
		t.Errorf("entrypoint %q cmd %q workdir %q user %q", cfg.Entrypoint, cfg.Cmd, cfg.WorkingDir, cfg.User)
	}
	if cfg.StopSignal != "SIGINT" || cfg.StopTimeout == nil || *cfg.StopTimeout != 30 {
		t.Errorf("stop signal %q timeout %v, want SIGINT and 30", cfg.StopSignal, cfg.StopTimeout)
	}
	tcp80, udp53 := network.MustParsePort("80/tcp"), network.MustParsePort("53/udp")
	if _, ok := cfg.ExposedPorts[tcp80]; !ok || len(cfg.ExposedPorts) != 2 {
		t.Errorf("exposed %v", cfg.ExposedPorts)
	}
	if b := hc.PortBindings[tcp80]; len(b) != 1 || b[0].HostIP != netip.MustParseAddr("127.0.0.1") || b[0].HostPort != "8080" {
		t.Errorf("80/tcp bound to %+v", b)
	}
	if b := hc.PortBindings[udp53]; len(b) != 1 || b[0].HostIP.IsValid() || b[0].HostPort != "5353" {
		t.Errorf("53/udp bound to %+v", b)
	}
	wantMounts := []mount.Mount{
		{Type: mount.TypeVolume, Source: "data", Target: "/data"},
		{Type: mount.TypeBind, Source: "/srv/site", Target: "/www", ReadOnly: true},
		{Type: mount.TypeVolume, Source: "velos-web-0123456789ab", Target: "/var/lib"},
	}
	if !slices.EqualFunc(hc.Mounts, wantMounts, func(a, b mount.Mount) bool {
		return a.Type == b.Type && a.Source == b.Source && a.Target == b.Target && a.ReadOnly == b.ReadOnly
	}) {
		t.Errorf("mounts %+v, want %+v", hc.Mounts, wantMounts)
	}
	if _, ok := hc.Tmpfs["/run"]; !ok || len(hc.Tmpfs) != 1 {
		t.Errorf("tmpfs %v", hc.Tmpfs)
	}
	if hc.NetworkMode != "net1" || o.NetworkingConfig == nil || !slices.Equal(o.NetworkingConfig.EndpointsConfig["net1"].Aliases, []string{"db"}) {
		t.Errorf("network %q, networking config %+v", hc.NetworkMode, o.NetworkingConfig)
	}
	if hc.Init == nil || !*hc.Init || !hc.ReadonlyRootfs || !slices.Equal(hc.CapAdd, []string{"NET_ADMIN"}) || !slices.Equal(hc.CapDrop, []string{"ALL"}) {
		t.Errorf("init %v read-only %v cap-add %v cap-drop %v", hc.Init, hc.ReadonlyRootfs, hc.CapAdd, hc.CapDrop)
	}

	bare := createOptions("velos-web", runtime.RunSpec{UID: "web", Container: vspec.Container{Image: "img"}}, 5*time.Second, nil)
	if st := bare.Config.StopTimeout; st == nil || *st != 5 {
		t.Errorf("bare spec's stop timeout %v, want the backend's 5", st)
	}
	if bare.NetworkingConfig != nil || bare.HostConfig.Init != nil || bare.HostConfig.Mounts != nil {
		t.Errorf("bare spec sets networking %+v init %v mounts %v", bare.NetworkingConfig, bare.HostConfig.Init, bare.HostConfig.Mounts)
	}
}
