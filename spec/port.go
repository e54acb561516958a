package spec

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Port publishes a container port on the host: "[host-ip:]host-port:container-port[/tcp|udp]".
type Port struct {
	HostIP        string // "" = every address; an IPv4 or IPv6 address otherwise
	HostPort      uint16 // 1-65535
	ContainerPort uint16 // 1-65535
	Proto         string // "tcp" or "udp"
}

// String writes the port as ParsePort reads it, with the protocol and an
// IPv6 address in brackets: "127.0.0.1:8080:80/tcp", "[::1]:53:53/udp".
func (p Port) String() string {
	var b strings.Builder
	switch {
	case strings.Contains(p.HostIP, ":"):
		b.WriteString("[" + p.HostIP + "]:")
	case p.HostIP != "":
		b.WriteString(p.HostIP + ":")
	}
	fmt.Fprintf(&b, "%d:%d/%s", p.HostPort, p.ContainerPort, p.Proto)
	return b.String()
}

// MarshalText writes String.
func (p Port) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses with ParsePort.
func (p *Port) UnmarshalText(b []byte) error {
	v, err := ParsePort(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

const portForm = "want [host-ip:]host-port:container-port[/tcp|udp], such as \"127.0.0.1:8080:80\""

// ParsePort reads "[host-ip:]host-port:container-port[/tcp|udp]". The host
// port is required: veloslet never picks one at random, so that what a spec
// says is where the service answers. A refusal is a *ValidationError naming
// the field "ports".
func ParsePort(s string) (Port, error) {
	bad := func(reason string) (Port, error) {
		return Port{}, &ValidationError{Field: "ports", Value: quote(s), Reason: reason}
	}
	rest, proto := s, "tcp"
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		rest, proto = s[:i], s[i+1:]
		if proto != "tcp" && proto != "udp" {
			return bad("protocol must be tcp or udp")
		}
	}
	var p Port
	p.Proto = proto
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return bad(portForm)
		}
		p.HostIP, rest = rest[1:end], rest[end+2:]
		if a, err := netip.ParseAddr(p.HostIP); err != nil || !a.Is6() || a.Zone() != "" {
			return bad("host ip in brackets must be an IPv6 address")
		}
	}
	parts := strings.Split(rest, ":")
	switch {
	case len(parts) == 3 && p.HostIP == "":
		p.HostIP, parts = parts[0], parts[1:]
		if a, err := netip.ParseAddr(p.HostIP); err != nil || !a.Is4() {
			return bad("host ip must be an IPv4 address (an IPv6 one goes in brackets: [::1]:8080:80)")
		}
	case len(parts) != 2:
		return bad(portForm)
	}
	var err error
	if p.HostPort, err = parsePortNumber(parts[0]); err != nil {
		return bad("host port " + err.Error())
	}
	if p.ContainerPort, err = parsePortNumber(parts[1]); err != nil {
		return bad("container port " + err.Error())
	}
	return p, nil
}

func parsePortNumber(s string) (uint16, error) {
	if s == "" || len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" || (s[0] == '0' && len(s) > 1) {
		return 0, fmt.Errorf("%q must be a number from 1 to 65535", s)
	}
	n, _ := strconv.Atoi(s)
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s out of range 1-65535", s)
	}
	return uint16(n), nil
}

// check refuses a Port built by hand that ParsePort would not return.
func (p Port) check() error {
	q, err := ParsePort(p.String())
	if err != nil {
		return err
	}
	if q != p {
		return &ValidationError{Field: "ports", Value: quote(p.String()), Reason: "is not in its canonical form"}
	}
	return nil
}
