package compose

import (
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// ports maps the long and the short syntax (the loader turns the short one
// into the long one). A spec publishes fixed host ports, one at a time.
func ports(svc *Service, c types.ServiceConfig) error {
	for i, pc := range c.Ports {
		key := fmt.Sprintf("ports[%d]", i)
		refuse := func(why string) error { return &Refusal{Service: c.Name, Key: key, Reason: why} }
		if k := unknownKey(pc, keySet("mode host_ip target published protocol name app_protocol")); k != "" {
			return refuse(k + ": a spec's port has a host address, a host port, a container port and a protocol only")
		}
		proto := pc.Protocol
		if proto == "" {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" {
			return refuse(fmt.Sprintf("protocol %q: want tcp or udp", proto))
		}
		if pc.Published == "" {
			return refuse(fmt.Sprintf("container port %d has no host port: veloslet publishes fixed host ports; write HOST:%d (other services reach it by name without publishing)", pc.Target, pc.Target))
		}
		if strings.Contains(pc.Published, "-") {
			return refuse(fmt.Sprintf("published %q: a spec publishes one port per entry, not a range", pc.Published))
		}
		text := fmt.Sprintf("%s:%d/%s", pc.Published, pc.Target, proto)
		if ip := pc.HostIP; ip != "" {
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			text = ip + ":" + text
		}
		p, err := spec.ParsePort(text)
		if err != nil {
			return refuse(err.Error())
		}
		svc.Spec.Ports = append(svc.Spec.Ports, p)
	}
	return nil
}

// mounts maps volumes (bind, named, tmpfs) and tmpfs. A named volume takes
// the name the loader resolved: <project>_<key>, or its name: or external one.
func mounts(svc *Service, p *types.Project, c types.ServiceConfig) error {
	s := &svc.Spec
	for i, v := range c.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		refuse := func(why string) error { return &Refusal{Service: c.Name, Key: key, Reason: why} }
		if k := unknownKey(v, keySet("type source target read_only consistency bind volume tmpfs")); k != "" {
			return refuse(k + ": not supported")
		}
		switch v.Type {
		case types.VolumeTypeBind:
			if v.Bind != nil {
				if k := unknownKey(v.Bind, keySet("create_host_path")); k != "" {
					return refuse("bind." + k + ": a spec's bind mount has no options beyond read_only")
				}
			}
			s.Volumes = append(s.Volumes, spec.Volume{Source: v.Source, Target: v.Target, ReadOnly: v.ReadOnly, Kind: spec.VolumeBind})
		case types.VolumeTypeVolume:
			if v.Source == "" {
				return refuse(fmt.Sprintf("anonymous volume on %s: name it (a spec keeps named volumes only)", v.Target))
			}
			if v.Volume != nil && isSet(reflectOf(v.Volume)) {
				return refuse("volume options (nocopy, subpath, labels) are not supported")
			}
			name := v.Source
			if top, ok := p.Volumes[v.Source]; ok && top.Name != "" {
				name = top.Name
			}
			s.Volumes = append(s.Volumes, spec.Volume{Source: name, Target: v.Target, ReadOnly: v.ReadOnly, Kind: spec.VolumeNamed})
		case types.VolumeTypeTmpfs:
			if v.Tmpfs != nil && isSet(reflectOf(v.Tmpfs)) {
				return refuse("tmpfs size and mode are not supported: a spec's tmpfs takes the runtime's defaults")
			}
			s.Tmpfs = append(s.Tmpfs, v.Target)
		default:
			return refuse(fmt.Sprintf("type %q: want bind, volume or tmpfs", v.Type))
		}
	}
	for i, t := range c.Tmpfs {
		if strings.Contains(t, ":") {
			return &Refusal{Service: c.Name, Key: fmt.Sprintf("tmpfs[%d]", i), Reason: fmt.Sprintf("%q: tmpfs options are not supported; give the mount point only", t)}
		}
		s.Tmpfs = append(s.Tmpfs, t)
	}
	return nil
}
