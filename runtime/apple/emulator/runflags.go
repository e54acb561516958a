package main

import (
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The `run` options that shape the container beyond image, command, env,
// labels and resources, each at the release that introduced it (Flags.swift
// of each tag: Sources/ContainerClient/ up to 0.7.x,
// Sources/Services/ContainerAPIService/Client/ from 0.8.0). An older
// emulated version refuses a later option as ArgumentParser does: usage
// error, exit 64.
var optionSince = map[string][2]int{
	"--workdir": {0, 1}, "-w": {0, 1}, "--cwd": {0, 1},
	"--user": {0, 1}, "-u": {0, 1},
	"--volume": {0, 1}, "-v": {0, 1},
	"--mount": {0, 1}, "--tmpfs": {0, 1}, "--rm": {0, 1}, "--remove": {0, 1},
	"--network":   {0, 2},
	"--publish":   {0, 3},
	"-p":          {0, 3},
	"--read-only": {0, 8},
	"--init":      {0, 10},
	"--cap-add":   {0, 12},
	"--cap-drop":  {0, 12},
}

// publishPort is PublishPort as stored: hostAddress a string at every tag
// (an IPAddress from 0.8.0, encoded as its text).
type publishPort struct {
	HostAddress   string `json:"hostAddress"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Proto         string `json:"proto"`
}

// mount is one Filesystem of configuration.mounts: Kind virtiofs (a bind),
// volume (named) or tmpfs.
type mount struct {
	Kind        string   `json:"kind"`
	Name        string   `json:"name,omitempty"`
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Options     []string `json:"options"`
}

// specOption parses one of those options into c. It returns -1 to go on,
// else the exit code to end the call with; known is false for an option
// that is not one of them.
func (e *emu) specOption(c *container, opt string, val func() (string, bool)) (code int, known bool) {
	since, known := optionSince[opt]
	if !known {
		return -1, false
	}
	if !e.atLeast(since[0], since[1]) {
		return e.usage(fmt.Sprintf("Unknown option '%s'", opt)), true
	}
	switch opt {
	case "--read-only":
		c.ReadOnly = true
		return -1, true
	case "--init":
		c.Init = true
		return -1, true
	case "--rm", "--remove":
		return -1, true
	}
	v, ok := val()
	if !ok {
		return e.usage(fmt.Sprintf("Missing value for '%s'", opt)), true
	}
	var err error
	switch opt {
	case "--workdir", "-w", "--cwd":
		c.Workdir = v
	case "--user", "-u":
		c.User = v
	case "--network":
		c.Network = v
	case "--tmpfs":
		c.Mounts = append(c.Mounts, mount{Kind: "tmpfs", Source: "tmpfs", Destination: v, Options: []string{}})
	case "--volume", "-v":
		err = e.volume(c, v)
	case "--mount":
		err = e.mountOption(c, v)
	case "--publish", "-p":
		var p publishPort
		if p, err = e.publish(v); err == nil {
			c.Ports = append(c.Ports, p)
		}
	case "--cap-add", "--cap-drop":
		var cp string
		if cp, err = capability(v); err == nil && opt == "--cap-add" {
			c.CapAdd = append(c.CapAdd, cp)
		} else if err == nil {
			c.CapDrop = append(c.CapDrop, cp)
		}
	}
	if err != nil {
		return e.fail(e.coded("invalidArgument", err.Error())), true
	}
	return -1, true
}

var volumeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`) // VolumeStorage.volumeNamePattern

// volume is Parser.volume: SRC:DST[:OPTS]; a source with '/' (from 0.9;
// starting with '/' up to 0.8) is a host path that must exist, any other a
// named volume, created if missing from 0.6.0 (up to 0.5 it must exist; the
// emulator models 0.6 on). One part is an anonymous volume.
func (e *emu) volume(c *container, v string) error {
	parts := strings.FieldsFunc(strings.TrimLeft(v, ":"), func(r rune) bool { return r == ':' })
	var opts []string
	switch len(parts) {
	case 1:
		c.Mounts = append(c.Mounts, mount{Kind: "volume", Name: fmt.Sprintf("anon-%x", len(c.Mounts)), Destination: parts[0], Options: []string{}})
		return nil
	case 2:
		opts = []string{}
	case 3:
		opts = strings.Split(parts[2], ",")
	default:
		return fmt.Errorf("invalid volume format %s", v)
	}
	src, dst := parts[0], parts[1]
	bind := strings.HasPrefix(src, "/")
	if e.atLeast(0, 9) {
		bind = strings.Contains(src, "/")
	}
	if !bind {
		if !volumeName.MatchString(src) {
			return fmt.Errorf("invalid volume name '%s': must match %s", src, volumeName)
		}
		c.Mounts = append(c.Mounts, mount{Kind: "volume", Name: src, Source: "/volumes/" + src + "/volume.img", Destination: dst, Options: opts})
		return nil
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("path '%s' does not exist", src)
	}
	c.Mounts = append(c.Mounts, mount{Kind: "virtiofs", Source: src, Destination: dst, Options: opts})
	return nil
}

// mountOption is Parser.mount: type=bind|volume|tmpfs,source=,target=[,readonly].
func (e *emu) mountOption(c *container, v string) error {
	m := mount{Options: []string{}}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			m.Kind = map[string]string{"bind": "virtiofs", "virtiofs": "virtiofs", "volume": "volume", "tmpfs": "tmpfs"}[val]
		case "source", "src":
			m.Source = val
		case "target", "dst", "destination":
			m.Destination = val
		case "readonly", "ro":
			m.Options = append(m.Options, "ro")
		}
	}
	switch {
	case m.Kind == "":
		return fmt.Errorf("invalid mount type in %s", v)
	case m.Destination == "":
		return fmt.Errorf("mount destination cannot be empty")
	case m.Kind == "volume":
		m.Name, m.Source = m.Source, "/volumes/"+m.Source+"/volume.img"
	case m.Kind == "tmpfs":
		m.Source = "tmpfs"
	}
	c.Mounts = append(c.Mounts, m)
	return nil
}

// publishV8 is Parser.publishPort's pattern from 0.8.0.
var publishV8 = regexp.MustCompile(`^(?:(?:\[([^\]]*)\]|([^:].*)):)?([^:].*):([^:/]*)(?:/(.*))?$`)

// publish is Parser.publishPort: up to 0.7 split on '/' and ':' (two or
// three parts, no brackets); from 0.8 the pattern above, with IPv6 in
// brackets and ports from 2 (it wants > 1).
func (e *emu) publish(v string) (publishPort, error) {
	p := publishPort{HostAddress: "0.0.0.0", Proto: "tcp"}
	var host, ctr string
	if !e.atLeast(0, 8) {
		rest, proto, hasProto := strings.Cut(v, "/")
		if hasProto {
			if strings.Contains(proto, "/") {
				return p, fmt.Errorf("invalid publish value: %s", v)
			}
			p.Proto = strings.ToLower(proto)
		}
		parts := strings.FieldsFunc(rest, func(r rune) bool { return r == ':' })
		switch len(parts) {
		case 2:
			host, ctr = parts[0], parts[1]
		case 3:
			p.HostAddress, host, ctr = parts[0], parts[1], parts[2]
		default:
			return p, fmt.Errorf("invalid publish address: %s", v)
		}
	} else {
		m := publishV8.FindStringSubmatch(v)
		if m == nil {
			return p, fmt.Errorf("invalid publish value: %s", v)
		}
		if m[5] != "" {
			p.Proto = strings.ToLower(m[5])
		}
		switch {
		case m[1] != "":
			a, err := netip.ParseAddr(m[1])
			if err != nil || !a.Is6() {
				return p, fmt.Errorf("invalid publish IPv6 address: %s", v)
			}
			p.HostAddress = a.String()
		case m[2] != "":
			a, err := netip.ParseAddr(m[2])
			if err != nil || !a.Is4() {
				return p, fmt.Errorf("invalid publish IPv4 address: %s", v)
			}
			p.HostAddress = a.String()
		}
		host, ctr = m[3], m[4]
	}
	if p.Proto != "tcp" && p.Proto != "udp" {
		return p, fmt.Errorf("invalid publish protocol: %s", p.Proto)
	}
	var err error
	if p.HostPort, err = strconv.Atoi(host); err != nil || p.HostPort < 0 || p.HostPort > 65535 {
		return p, fmt.Errorf("invalid publish host port: %s", host)
	}
	if p.ContainerPort, err = strconv.Atoi(ctr); err != nil || p.ContainerPort < 0 || p.ContainerPort > 65535 {
		return p, fmt.Errorf("invalid publish container port: %s", ctr)
	}
	if e.atLeast(0, 8) && p.HostPort <= 1 {
		return p, fmt.Errorf("invalid publish host port range: %s", host)
	}
	if e.atLeast(0, 8) && p.ContainerPort <= 1 {
		return p, fmt.Errorf("invalid publish container port range: %s", ctr)
	}
	return p, nil
}

// capabilities are the names CapabilityName takes, without "CAP_".
var capabilities = strings.Fields(`CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
	SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE
	SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME
	SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM
	BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE`)

// capability is Parser.capabilities (0.12.0 on): upper-cased, "ALL" or a
// known name, stored with its CAP_ prefix.
func capability(v string) (string, error) {
	u := strings.ToUpper(v)
	if u == "ALL" {
		return u, nil
	}
	bare := strings.TrimPrefix(u, "CAP_")
	for _, c := range capabilities {
		if c == bare {
			return "CAP_" + bare, nil
		}
	}
	return "", fmt.Errorf("invalid capability: %s", v)
}
