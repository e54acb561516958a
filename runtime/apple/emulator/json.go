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

func configuration(c *container) map[string]any {
	return map[string]any{
		"id": c.ID,
		"image": map[string]any{
			"reference":  c.Image,
			"descriptor": map[string]any{"mediaType": "application/vnd.oci.image.index.v1+json", "size": 1609},
		},
		"labels": c.Labels,
		"initProcess": map[string]any{
			"executable": c.Exec, "arguments": nonNil(c.Args), "environment": nonNil(c.Env),
			"workingDirectory": "/", "terminal": false,
			"user": map[string]any{"id": map[string]any{"uid": 0, "gid": 0}},
		},
		"resources": map[string]any{"cpus": orDefault(int64(c.CPUs), 4), "memoryInBytes": orDefault(c.Memory, 1<<30)},
		"platform":  map[string]any{"os": "linux", "architecture": "arm64"},
		"rosetta":   false,
		"dns":       map[string]any{"nameservers": []string{}},
	}
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
	return map[string]any{"configuration": configuration(c), "id": c.ID, "status": status}
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
	o := object0{Status: c.State, Configuration: configuration(c), Networks: []any{}}
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
