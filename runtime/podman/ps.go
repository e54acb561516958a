package podman

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// psEntry holds the fields we read from `podman ps -a --format json`.
type psEntry struct {
	ID        string            `json:"Id"`
	Names     []string          `json:"Names"`
	State     string            `json:"State"`
	ExitCode  int               `json:"ExitCode"`
	Exited    bool              `json:"Exited"`
	Labels    map[string]string `json:"Labels"`
	StartedAt int64             `json:"StartedAt"`
}

// ParsePS parses `podman ps -a --format json` and returns the containers
// whose name starts with prefix. It never panics on bad input.
func ParsePS(data []byte, prefix string) ([]runtime.Instance, error) {
	return ParsePSStore(data, prefix, "")
}

// ParsePSStore is ParsePS that also returns the containers labelled with
// storeID (velos.store) whatever their name, their uid from velos.uid.
func ParsePSStore(data []byte, prefix, storeID string) ([]runtime.Instance, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return nil, nil
	}
	var entries []psEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parse podman ps: %w (output starts %q)", err, head(data))
	}
	out := make([]runtime.Instance, 0, len(entries))
	for _, e := range entries {
		for _, name := range e.Names {
			uid, renamed, ok := runtime.Listed(prefix, storeID, name, e.Labels)
			if !ok {
				continue
			}
			if e.ID == "" {
				return nil, fmt.Errorf("parse podman ps: container %s has no Id", name)
			}
			in := e.instance(uid, name)
			in.Renamed = renamed
			out = append(out, in)
			break
		}
	}
	return out, nil
}

func head(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func (e psEntry) instance(uid, name string) runtime.Instance {
	labels := make(map[string]string, len(e.Labels))
	for k, v := range e.Labels {
		labels[k] = v
	}
	in := runtime.Instance{UID: uid, ID: runtime.InstanceID(e.ID), Name: name, Labels: labels}
	switch e.State {
	case "running":
		in.State = runtime.StateRunning
	case "exited", "stopped", "dead":
		in.State = runtime.StateExited
		code := e.ExitCode
		in.ExitCode = &code
	case "created", "configured":
		// Created but never started (a failed start): exited, code unknown.
		in.State = runtime.StateExited
	default: // paused, stopping, removing, unknown: leave alone until settled
		in.State = runtime.StateUnknown
	}
	if e.StartedAt > 0 {
		in.StartedAt = time.Unix(e.StartedAt, 0).UTC()
	}
	return in
}
