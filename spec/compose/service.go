package compose

import (
	"fmt"
	"math"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/mattn/go-shellwords"

	"github.com/veloslet/veloslet/spec"
)

// Service is the intermediate form of one compose service: its spec and
// what a spec cannot hold yet (health and dependencies), kept so that they
// can be wired to the spec once it has the fields.
type Service struct {
	Name      string
	Spec      spec.Spec
	Health    *Health               // nil = none (or disabled)
	DependsOn map[string]Dependency // by service name
	Notes     []string

	defaultRestart bool // no restart: given; veloslet's default applies
}

// service maps one compose service; nets collects the networks it uses
// that veloslet must create.
func service(p *types.Project, c types.ServiceConfig, nets map[string]Network) (*Service, error) {
	refuse := func(key, why string) (*Service, error) {
		return nil, &Refusal{Service: c.Name, Key: key, Reason: why}
	}
	for _, k := range setKeys(c) {
		if mappedKeys[k] || acceptedKeys[k] {
			continue
		}
		why, ok := refusedWhy[k]
		if !ok {
			why = "veloslet cannot honour this key; remove it (docs/compose.md lists every key)"
		}
		return refuse(k, why)
	}
	svc := &Service{Name: c.Name}
	s := &svc.Spec
	s.UID = p.Name + "-" + c.Name
	if c.Image == "" {
		return refuse("image", "is required: veloslet runs images")
	}
	s.Image = c.Image
	s.Command = []string(c.Command)
	s.Entrypoint = []string(c.Entrypoint)
	if c.Command != nil && len(c.Command) == 0 {
		svc.Notes = append(svc.Notes, "command: [] keeps the image's command (a spec cannot clear it)")
	}
	if c.Entrypoint != nil && len(c.Entrypoint) == 0 {
		svc.Notes = append(svc.Notes, "entrypoint: [] keeps the image's entrypoint (a spec cannot clear it)")
	}
	s.Env = map[string]string{}
	for k, v := range c.Environment {
		if v != nil { // compose drops a variable named without a value and unset in the shell
			s.Env[k] = *v
		}
	}
	s.Workdir, s.User = c.WorkingDir, c.User
	s.Labels = map[string]string{}
	for k, v := range c.Labels {
		s.Labels[k] = v
	}
	s.Labels[LabelProject], s.Labels[LabelService] = p.Name, c.Name
	if err := restart(svc, c); err != nil {
		return nil, err
	}
	if err := logging(svc, c); err != nil {
		return nil, err
	}
	if err := limits(svc, c); err != nil {
		return nil, err
	}
	if c.Scale != nil && *c.Scale != 1 {
		return refuse("scale", fmt.Sprintf("%d: a spec is one container; write one service per copy", *c.Scale))
	}
	s.StopSignal = c.StopSignal
	if c.StopGracePeriod != nil {
		d := time.Duration(*c.StopGracePeriod)
		if d%time.Second != 0 {
			return refuse("stop_grace_period", fmt.Sprintf("%s: veloslet counts the grace in whole seconds", d))
		}
		s.StopTimeout = spec.Duration(d)
	}
	if c.Init != nil {
		s.Init = *c.Init
	}
	s.ReadOnly, s.CapAdd, s.CapDrop = c.ReadOnly, c.CapAdd, c.CapDrop
	if err := ports(svc, c); err != nil {
		return nil, err
	}
	if err := mounts(svc, p, c); err != nil {
		return nil, err
	}
	if err := network(svc, p, c, nets); err != nil {
		return nil, err
	}
	if err := healthAndDeps(svc, c); err != nil {
		return nil, err
	}
	if c.ContainerName != "" {
		svc.Notes = append(svc.Notes, fmt.Sprintf("container_name %q ignored: veloslet names the container after the uid %s", c.ContainerName, s.UID))
	}
	if c.Attach != nil {
		svc.Notes = append(svc.Notes, "attach ignored: veloslet runs detached; read output with veloslet logs")
	}
	if c.Develop != nil {
		svc.Notes = append(svc.Notes, "develop ignored: veloslet does not watch source files")
	}
	if len(c.Expose) > 0 {
		svc.Notes = append(svc.Notes, "expose ignored: every port of a container is reachable on its network")
	}
	return svc, nil
}

// limits maps cpus, mem_limit and deploy (replicas 1, resources.limits).
func limits(svc *Service, c types.ServiceConfig) error {
	s := &svc.Spec
	s.CPUs, s.Memory = float64(c.CPUS), spec.Memory(c.MemLimit)
	d := c.Deploy
	if d == nil {
		return roundCPUs(s)
	}
	refuse := func(key, why string) error { return &Refusal{Service: c.Name, Key: "deploy." + key, Reason: why} }
	if k := unknownKey(d, keySet("mode replicas resources restart_policy")); k != "" {
		return refuse(k, "veloslet runs one container per service on this machine; only replicas: 1, resources.limits and restart_policy.condition map")
	}
	if d.Mode != "" && d.Mode != "replicated" {
		return refuse("mode", fmt.Sprintf("%q: a spec is one container on this machine", d.Mode))
	}
	if d.Replicas != nil && *d.Replicas != 1 {
		return refuse("replicas", fmt.Sprintf("%d: a spec is one container; write one service per copy", *d.Replicas))
	}
	if d.Resources.Reservations != nil {
		return refuse("resources.reservations", "a spec has limits only, no reservations")
	}
	if l := d.Resources.Limits; l != nil {
		if k := unknownKey(l, keySet("cpus memory")); k != "" {
			return refuse("resources.limits."+k, "a spec limits cpus and memory only")
		}
		if l.NanoCPUs != 0 {
			s.CPUs = float64(l.NanoCPUs)
		}
		if l.MemoryBytes != 0 {
			s.Memory = spec.Memory(l.MemoryBytes)
		}
	}
	return roundCPUs(s)
}

// roundCPUs drops the float32 noise of compose's cpus (0.1 reads 0.100000001).
func roundCPUs(s *spec.Spec) error {
	s.CPUs = math.Round(s.CPUs*1e6) / 1e6
	return nil
}

// checkShellForms refuses a string command or entrypoint that compose's
// word splitting would cut at a shell operator (';', '&&', '|', …): compose
// runs the words before it and silently drops the rest.
func checkShellForms(model map[string]any) error {
	services, _ := model["services"].(map[string]any)
	for _, name := range sortedNames(services) {
		svc, _ := services[name].(map[string]any)
		for _, key := range []string{"command", "entrypoint"} {
			text, ok := svc[key].(string)
			if !ok {
				continue
			}
			p := shellwords.NewParser()
			if _, err := p.Parse(text); err != nil {
				return &Refusal{Service: name, Key: key, Reason: fmt.Sprintf("%s: %v", spec.Quote(text), err)}
			}
			if p.Position >= 0 {
				return &Refusal{Service: name, Key: key, Reason: fmt.Sprintf("%s: the string form is split into words and stops at the shell operator at byte %d, dropping the rest; write the list form [\"sh\", \"-c\", \"...\"]", spec.Quote(text), p.Position)}
			}
		}
	}
	return nil
}
