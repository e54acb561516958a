package apple

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// appleEpoch is the reference date of the dates older CLIs print: seconds
// since 2001-01-01 UTC (Foundation's Date), 978307200 s after the Unix epoch.
const appleEpoch = 978307200

// listEntry holds the fields we read from either JSON shape of
// `container list --format json`. Unknown fields are ignored.
type listEntry struct {
	ID            string          `json:"id"`          // 1.x only
	Status        json.RawMessage `json:"status"`      // 1.x: object; 0.x: string
	StartedDate   json.RawMessage `json:"startedDate"` // 0.8–0.12: seconds since 2001
	Configuration struct {
		ID     string            `json:"id"`
		Labels map[string]string `json:"labels"`
	} `json:"configuration"`
}

type statusObject struct {
	State       string          `json:"state"`
	StartedDate json.RawMessage `json:"startedDate"`
}

// parseList parses the output of `container list --all --format json` in
// both shapes the CLI has printed (0.x and 1.x) and returns the containers
// whose name starts with prefix. It never panics on bad input.
func parseList(data []byte, prefix string) ([]runtime.Instance, error) {
	return ParseListStore(data, prefix, "")
}

// ParseListStore is parseList that also returns the containers labelled
// with storeID (velos.store) whatever their name, their uid from velos.uid.
func ParseListStore(data []byte, prefix, storeID string) ([]runtime.Instance, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil // some versions print nothing for an empty list
	}
	var entries []listEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parse container list: %w (output starts %q)", err, head(data))
	}
	out := make([]runtime.Instance, 0, len(entries))
	for i, e := range entries {
		in, ok, err := e.instance(prefix, storeID)
		if err != nil {
			return nil, fmt.Errorf("parse container list: entry %d: %w", i, err)
		}
		if ok {
			out = append(out, in)
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

func (e listEntry) instance(prefix, storeID string) (runtime.Instance, bool, error) {
	name := e.ID
	if name == "" {
		name = e.Configuration.ID
	}
	uid, renamed, ok := runtime.Listed(prefix, storeID, name, e.Configuration.Labels)
	if !ok {
		return runtime.Instance{}, false, nil // not ours: the builder, or another tool's
	}
	state, started, err := e.status()
	if err != nil {
		return runtime.Instance{}, false, fmt.Errorf("%s: %w", name, err)
	}
	labels := make(map[string]string, len(e.Configuration.Labels))
	for k, v := range e.Configuration.Labels {
		labels[k] = v
	}
	// The CLI never reports an exit code: ExitCode stays nil (unknown).
	return runtime.Instance{UID: uid, ID: runtime.InstanceID(name), Name: name, State: state,
		Labels: labels, StartedAt: started, Renamed: renamed}, true, nil
}

// status reads the state and start time from either shape.
func (e listEntry) status() (runtime.State, time.Time, error) {
	if len(e.Status) == 0 || string(e.Status) == "null" {
		return runtime.StateUnknown, time.Time{}, nil
	}
	var state string
	dateRaw := e.StartedDate
	if e.Status[0] == '{' {
		var st statusObject
		if err := json.Unmarshal(e.Status, &st); err != nil {
			return "", time.Time{}, fmt.Errorf("status: %w", err)
		}
		state, dateRaw = st.State, st.StartedDate
	} else if err := json.Unmarshal(e.Status, &state); err != nil {
		return "", time.Time{}, fmt.Errorf("status is neither an object nor a string: %s", head(e.Status))
	}
	started, err := parseDate(dateRaw)
	return mapState(state), started, err
}

// mapState maps the CLI's states onto ours. "stopping" is still running;
// until it has stopped we do not act on it, so it is unknown.
func mapState(s string) runtime.State {
	switch s {
	case "running":
		return runtime.StateRunning
	case "stopped":
		return runtime.StateExited
	}
	return runtime.StateUnknown
}

// parseDate accepts an RFC 3339 string (1.x) or seconds since 2001 (0.x).
func parseDate(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil // never started
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("startedDate %q: %w", s, err)
		}
		return t.UTC(), nil
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err != nil || math.IsNaN(secs) || math.Abs(secs) > 1e11 {
		return time.Time{}, fmt.Errorf("startedDate %s: want seconds since 2001 or an RFC 3339 string", head(raw))
	}
	whole, frac := math.Modf(secs)
	return time.Unix(int64(whole)+appleEpoch, int64(frac*1e9)).UTC(), nil
}
