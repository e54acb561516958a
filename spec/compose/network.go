package compose

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/runtime"
)

func reflectOf(v any) reflect.Value { return reflect.ValueOf(v).Elem() }

// network maps network_mode and networks. A service joins one network (the
// runtimes veloslet drives attach one per spec), where its service name and
// its aliases resolve.
func network(svc *Service, p *types.Project, c types.ServiceConfig, nets map[string]Network) error {
	s := &svc.Spec
	refuse := func(key, why string) error { return &Refusal{Service: c.Name, Key: key, Reason: why} }
	switch m := c.NetworkMode; {
	case m == "host" || m == "none":
		s.Network = m
		return nil
	case m == "bridge":
		svc.Notes = append(svc.Notes, "network_mode: bridge runs on the runtime's default network, where service names do not resolve")
		return nil
	case strings.HasPrefix(m, "service:") || strings.HasPrefix(m, "container:"):
		return refuse("network_mode", fmt.Sprintf("%q: a spec cannot share another container's network namespace", m))
	case m != "":
		return refuse("network_mode", fmt.Sprintf("%q: want host, none or bridge", m))
	}
	if len(c.Networks) > 1 {
		return refuse("networks", fmt.Sprintf("%s: a spec joins one network (the runtimes veloslet drives attach one per container)", strings.Join(sortedNames(c.Networks), ", ")))
	}
	key := "default"
	var cfg *types.ServiceNetworkConfig
	for k, v := range c.Networks {
		key, cfg = k, v
	}
	top, ok := p.Networks[key]
	if !ok {
		return refuse("networks", fmt.Sprintf("%q is not declared under the top-level networks:", key))
	}
	if k := unknownKey(top, keySet("external labels driver")); k != "" {
		return &Refusal{Key: "networks." + key + "." + k, Reason: "veloslet creates a plain network with DNS; no driver options, IPAM, internal or IPv6 settings"}
	}
	if top.Driver != "" && top.Driver != "bridge" {
		return &Refusal{Key: "networks." + key + ".driver", Reason: fmt.Sprintf("%q: veloslet creates bridge networks only", top.Driver)}
	}
	s.Network = top.Name
	s.NetworkAliases = []string{c.Name}
	if cfg != nil {
		if k := unknownKey(cfg, keySet("aliases")); k != "" {
			return refuse("networks."+key+"."+k, "a spec's network has aliases only: no static address, MAC address, driver options or priority")
		}
		for _, a := range cfg.Aliases {
			if a != c.Name && !contains(s.NetworkAliases, a) {
				s.NetworkAliases = append(s.NetworkAliases, a)
			}
		}
	}
	if !bool(top.External) {
		labels := map[string]string{LabelProject: p.Name, "com.docker.compose.network": key}
		for k, v := range top.Labels {
			labels[k] = v
		}
		nets[top.Name] = Network{Name: top.Name, Labels: labels}
		s.Labels[runtime.NetworkLabel] = top.Name // veloslet creates it, and removes it with the project's last spec
	}
	return nil
}

// checkTop refuses top-level volume settings a spec cannot carry: veloslet
// lets the runtime create a named volume on first use, with its defaults.
func checkTop(p *types.Project) error {
	for _, n := range sortedNames(p.Volumes) {
		if k := unknownKey(p.Volumes[n], keySet("external labels driver")); k != "" {
			return &Refusal{Key: "volumes." + n + "." + k, Reason: "the runtime creates a named volume with its defaults; no driver options"}
		}
		if d := p.Volumes[n].Driver; d != "" && d != "local" {
			return &Refusal{Key: "volumes." + n + ".driver", Reason: fmt.Sprintf("%q: the runtime's local driver only", d)}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
