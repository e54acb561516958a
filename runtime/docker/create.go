package docker

import (
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// imageVolume is one volume of ours mounted where the image declares one.
type imageVolume struct{ name, path string }

// createOptions builds the create request: env, labels and limits in its
// body, the command after the image's entrypoint as the CLI would pass it,
// and every other spec field where the Engine API takes it. stop is the
// grace when the spec sets none; vols the volumes kept for the image's
// declared paths.
func createOptions(name string, spec runtime.RunSpec, stop time.Duration, vols []imageVolume) client.ContainerCreateOptions {
	env := make([]string, 0, len(spec.Env))
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, k+"="+spec.Env[k])
	}
	cfg := &container.Config{Image: spec.Image, Env: env, Labels: spec.AllLabels()}
	if len(spec.Command) > 0 {
		cfg.Cmd = slices.Clone(spec.Command)
	}
	hc := &container.HostConfig{}
	hc.NanoCPUs = int64(spec.CPUs * 1e9)
	hc.Memory = int64(spec.Memory)
	containerConfig(cfg, hc, spec.Container, stop, vols)
	opts := client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc}
	if spec.Network != "" && len(spec.NetworkAliases) > 0 {
		opts.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			spec.Network: {Aliases: slices.Clone(spec.NetworkAliases)},
		}}
	}
	return opts
}

// containerConfig maps the spec's fields after the first six. The grace is
// always set on the container (the spec's, else the backend's), so that a
// stop without a timeout, ours or an operator's, uses it with the
// container's own stop signal.
func containerConfig(cfg *container.Config, hc *container.HostConfig, c vspec.Container, stop time.Duration, vols []imageVolume) {
	if len(c.Entrypoint) > 0 {
		cfg.Entrypoint = slices.Clone(c.Entrypoint)
	}
	cfg.WorkingDir = c.Workdir
	cfg.User = c.User
	cfg.StopSignal = c.StopSignal
	grace := time.Duration(c.StopTimeout)
	if grace == 0 {
		grace = stop
	}
	secs := int(max(grace, 0) / time.Second)
	cfg.StopTimeout = &secs
	if len(c.Ports) > 0 {
		cfg.ExposedPorts = network.PortSet{}
		hc.PortBindings = network.PortMap{}
	}
	for _, p := range c.Ports {
		port, _ := network.PortFrom(p.ContainerPort, network.IPProtocol(p.Proto))
		cfg.ExposedPorts[port] = struct{}{}
		b := network.PortBinding{HostPort: strconv.Itoa(int(p.HostPort))}
		if p.HostIP != "" {
			b.HostIP, _ = netip.ParseAddr(p.HostIP) // checked by spec.ParsePort
		}
		hc.PortBindings[port] = append(hc.PortBindings[port], b)
	}
	for _, v := range c.Volumes {
		m := mount.Mount{Type: mount.TypeVolume, Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Kind == vspec.VolumeBind {
			m.Type = mount.TypeBind
		}
		hc.Mounts = append(hc.Mounts, m)
	}
	for _, v := range vols {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: v.name, Target: v.path})
	}
	if len(c.Tmpfs) > 0 {
		hc.Tmpfs = make(map[string]string, len(c.Tmpfs))
		for _, t := range c.Tmpfs {
			hc.Tmpfs[t] = ""
		}
	}
	if c.Network != "" {
		hc.NetworkMode = container.NetworkMode(c.Network)
	}
	if c.Init {
		hc.Init = &c.Init
	}
	hc.ReadonlyRootfs = c.ReadOnly
	hc.CapAdd = slices.Clone(c.CapAdd)
	hc.CapDrop = slices.Clone(c.CapDrop)
}
