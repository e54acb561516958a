package spec

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Limits on the fields that shape the container beyond image and command.
const (
	MaxPorts       = 256
	MaxVolumes     = 256
	MaxTmpfs       = 64
	MaxAliases     = 64
	MaxCaps        = 64
	MaxNameLen     = 128                 // network, alias, user
	MaxStopTimeout = Duration(time.Hour) // longer would outlast any pass's deadline
)

var (
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	userPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	capPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// validateRun checks the fields after the first six. The caller sets UID.
func (c *Container) validateRun() *ValidationError {
	bad := func(field, value, reason string) *ValidationError {
		return &ValidationError{Field: field, Value: value, Reason: reason}
	}
	if len(c.Entrypoint) > MaxArgs {
		return bad("entrypoint", "", fmt.Sprintf("more than %d arguments", MaxArgs))
	}
	for i, a := range c.Entrypoint {
		if err := validateText(a); err != nil {
			return bad(fmt.Sprintf("entrypoint[%d]", i), quote(a), err.Error())
		}
	}
	if len(c.Entrypoint) > 0 && (c.Entrypoint[0] == "" || strings.HasPrefix(c.Entrypoint[0], "-")) {
		return bad("entrypoint[0]", quote(c.Entrypoint[0]), "must be a program: non-empty, not starting with '-'")
	}
	if c.Workdir != "" {
		if err := checkPath(c.Workdir); err != nil {
			return bad("workdir", quote(c.Workdir), err.Error())
		}
	}
	if c.User != "" && (len(c.User) > MaxNameLen || !userPattern.MatchString(c.User)) {
		return bad("user", quote(c.User), "want uid[:gid] or name[:group]: letters, digits, '_', '.', '-'")
	}
	if err := c.validatePorts(); err != nil {
		return err
	}
	if err := c.validateMounts(); err != nil {
		return err
	}
	if c.Network != "" && (len(c.Network) > MaxNameLen || !namePattern.MatchString(c.Network)) {
		return bad("network", quote(c.Network), "must be letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	if err := checkNames("network_aliases", c.NetworkAliases, MaxAliases, namePattern, "letters, digits, '_', '.' or '-', starting with a letter or digit"); err != nil {
		return err
	}
	if len(c.NetworkAliases) > 0 && c.Network == "" {
		return bad("network_aliases", "", "needs network: the runtime's default network has no aliases")
	}
	if c.StopSignal != "" {
		if err := checkSignal(c.StopSignal); err != nil {
			return bad("stop_signal", quote(c.StopSignal), err.Error())
		}
	}
	switch d := c.StopTimeout; {
	case d < 0:
		return bad("stop_timeout", quote(d.String()), "must not be negative")
	case d > MaxStopTimeout:
		return bad("stop_timeout", quote(d.String()), "must be at most 1h")
	case time.Duration(d)%time.Second != 0:
		return bad("stop_timeout", quote(d.String()), "must be whole seconds (runtimes count the grace in seconds)")
	}
	for _, f := range []struct {
		name string
		caps []string
	}{{"cap_add", c.CapAdd}, {"cap_drop", c.CapDrop}} {
		if err := checkNames(f.name, f.caps, MaxCaps, capPattern, "upper-case letters, digits and '_', such as NET_ADMIN or ALL"); err != nil {
			return err
		}
	}
	return c.validateLogSize()
}

func (c *Container) validatePorts() *ValidationError {
	if len(c.Ports) > MaxPorts {
		return &ValidationError{Field: "ports", Reason: fmt.Sprintf("%d ports; at most %d", len(c.Ports), MaxPorts)}
	}
	seen := make(map[Port]bool, len(c.Ports))
	for i, p := range c.Ports {
		if err := p.check(); err != nil {
			return asField(err, fmt.Sprintf("ports[%d]", i))
		}
		k := Port{HostIP: p.HostIP, HostPort: p.HostPort, Proto: p.Proto}
		if seen[k] {
			return &ValidationError{Field: fmt.Sprintf("ports[%d]", i), Value: quote(p.String()), Reason: "publishes a host port already published"}
		}
		seen[k] = true
	}
	return nil
}

func (c *Container) validateMounts() *ValidationError {
	if len(c.Volumes) > MaxVolumes {
		return &ValidationError{Field: "volumes", Reason: fmt.Sprintf("%d volumes; at most %d", len(c.Volumes), MaxVolumes)}
	}
	if len(c.Tmpfs) > MaxTmpfs {
		return &ValidationError{Field: "tmpfs", Reason: fmt.Sprintf("%d mounts; at most %d", len(c.Tmpfs), MaxTmpfs)}
	}
	targets := map[string]string{}
	for i, v := range c.Volumes {
		if err := v.check(); err != nil {
			return asField(err, fmt.Sprintf("volumes[%d]", i))
		}
		if prev, ok := targets[v.Target]; ok {
			return &ValidationError{Field: fmt.Sprintf("volumes[%d]", i), Value: quote(v.String()), Reason: "mounts on " + v.Target + ", as " + prev + " does"}
		}
		targets[v.Target] = fmt.Sprintf("volumes[%d]", i)
	}
	for i, p := range c.Tmpfs {
		field := fmt.Sprintf("tmpfs[%d]", i)
		if err := checkPath(p); err != nil {
			return &ValidationError{Field: field, Value: quote(p), Reason: err.Error()}
		}
		if prev, ok := targets[p]; ok {
			return &ValidationError{Field: field, Value: quote(p), Reason: "mounts on " + p + ", as " + prev + " does"}
		}
		targets[p] = field
	}
	return nil
}

// checkNames checks a list of names against pattern, its length and duplicates.
func checkNames(field string, names []string, max int, pattern *regexp.Regexp, want string) *ValidationError {
	if len(names) > max {
		return &ValidationError{Field: field, Reason: fmt.Sprintf("%d entries; at most %d", len(names), max)}
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case len(n) > MaxNameLen || !pattern.MatchString(n):
			return &ValidationError{Field: f, Value: quote(n), Reason: "must be " + want}
		case seen[n]:
			return &ValidationError{Field: f, Value: quote(n), Reason: "appears twice"}
		}
		seen[n] = true
	}
	return nil
}

// asField gives a parser's error the field's index.
func asField(err error, field string) *ValidationError {
	if ve, ok := err.(*ValidationError); ok {
		c := *ve
		c.Field = field
		return &c
	}
	return &ValidationError{Field: field, Reason: err.Error()}
}
