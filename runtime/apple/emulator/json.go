package main

import "time"

// appleEpoch: 0.x prints dates as seconds since 2001-01-01 UTC.
const appleEpoch = 978307200

// objects renders containers in the JSON shape of the emulated version.
func (e *emu) objects(cs []*container) []any {
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		if e.atLeast(1, 0) {
			out = append(out, e.object1(c))
		} else {
			out = append(out, e.object0(c))
		}
	}
	return out
}

// configuration is ContainerConfiguration as the version encodes it (its
// CodingKeys at each tag): publishedPorts from 0.3 (with count from 0.8),
// readOnly from 0.8, useInit from 0.10, capAdd/capDrop from 0.12.
func (e *emu) configuration(c *container) map[string]any {
	workdir := c.Workdir
	if workdir == "" {
		workdir = "/"
	}
	user := map[string]any{"id": map[string]any{"uid": 0, "gid": 0}}
	if c.User != "" {
		user = map[string]any{"raw": map[string]any{"userString": c.User}}
	}
	network := c.Network
	if network == "" {
		network = "default"
	}
	cfg := map[string]any{
		"id": c.ID,
		"image": map[string]any{
			"reference":  c.Image,
			"descriptor": map[string]any{"mediaType": "application/vnd.oci.image.index.v1+json", "size": 1609},
		},
		"labels": c.Labels,
		"initProcess": map[string]any{
			"executable": c.Exec, "arguments": nonNil(c.Args), "environment": nonNil(c.Env),
			"workingDirectory": workdir, "terminal": false, "user": user,
		},
		"resources": map[string]any{"cpus": orDefault(int64(c.CPUs), 4), "memoryInBytes": orDefault(c.Memory, 1<<30)},
		"platform":  map[string]any{"os": "linux", "architecture": "arm64"},
		"rosetta":   false,
		"dns":       map[string]any{"nameservers": []string{}},
		"mounts":    mountsJSON(c.Mounts),
		"networks":  []any{map[string]any{"network": network, "options": map[string]any{"hostname": c.ID}}},
	}
	if e.atLeast(0, 3) {
		ports := make([]map[string]any, 0, len(c.Ports))
		for _, p := range c.Ports {
			o := map[string]any{"hostAddress": p.HostAddress, "hostPort": p.HostPort, "containerPort": p.ContainerPort, "proto": p.Proto}
			if e.atLeast(0, 8) {
				o["count"] = 1
			}
			ports = append(ports, o)
		}
		cfg["publishedPorts"] = ports
	}
	if e.atLeast(0, 8) {
		cfg["readOnly"] = c.ReadOnly
	}
	if e.atLeast(0, 10) {
		cfg["useInit"] = c.Init
	}
	if e.atLeast(0, 12) {
		cfg["capAdd"], cfg["capDrop"] = nonNil(c.CapAdd), nonNil(c.CapDrop)
	}
	return cfg
}

// mountsJSON encodes Filesystems: type is a Swift enum with associated
// values, so {"virtiofs":{}}, {"tmpfs":{}} or {"volume":{"name":…,…}}.
func mountsJSON(ms []mount) []any {
	out := make([]any, 0, len(ms))
	for _, m := range ms {
		typ := map[string]any{m.Kind: map[string]any{}}
		if m.Kind == "volume" {
			typ = map[string]any{"volume": map[string]any{"name": m.Name, "format": "ext4",
				"cache": map[string]any{"on": map[string]any{}}, "sync": map[string]any{"fsync": map[string]any{}}}}
		}
		out = append(out, map[string]any{"type": typ, "source": m.Source, "destination": m.Destination, "options": nonNil(m.Options)})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// object1 is the 1.x shape: exactly three keys, sorted (maps encode sorted),
// status an object, dates RFC 3339; a never-started container has no startedDate.
func (e *emu) object1(c *container) map[string]any {
	status := map[string]any{"state": c.State, "networks": []any{}}
	if c.Started != nil {
		status["startedDate"] = c.Started.Format(time.RFC3339)
	}
	return map[string]any{"configuration": e.configuration(c), "id": c.ID, "status": status}
}

// object0 is the 0.x shape: status a string, no top-level id, keys in the
// CLI's (unsorted) order; startedDate from 0.8, in seconds since 2001.
type object0 struct {
	Status        string         `json:"status"`
	Configuration map[string]any `json:"configuration"`
	Networks      []any          `json:"networks"`
	StartedDate   *float64       `json:"startedDate,omitempty"`
}

func (e *emu) object0(c *container) object0 {
	o := object0{Status: c.State, Configuration: e.configuration(c), Networks: []any{}}
	if c.Started != nil && e.atLeast(0, 8) {
		secs := float64(c.Started.UnixNano())/1e9 - appleEpoch
		o.StartedDate = &secs
	}
	return o
}

// orDefault is the CLI's default resources: 4 CPUs and 1 GiB unless set.
func orDefault(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
