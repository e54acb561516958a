package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/veloslet/veloslet/store"
)

// Value is a spec as a bucket value holds it: the JSON object a spec file
// holds, memory in bytes.
type Value struct {
	UID          string            `json:"uid"`
	Image        string            `json:"image"`
	Command      []string          `json:"command,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
	Restart      string            `json:"restart,omitempty"`
	DesiredState string            `json:"desired_state,omitempty"`
	CPUs         float64           `json:"cpus,omitempty"`
	Memory       int64             `json:"memory,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// EncodeSpec writes the bucket value for s.
func EncodeSpec(s store.Spec) []byte {
	b, _ := json.Marshal(Value{UID: s.UID, Image: s.Image, Command: s.Command, Env: s.Env,
		Restart: string(s.Restart), DesiredState: string(s.DesiredState), CPUs: s.CPUs, Memory: s.Memory,
		Labels: s.Labels}) // strings, numbers and maps of strings always marshal
	return b
}

// DecodeFunc turns a bucket value into a spec; serve passes the decoder
// `apply` uses for a JSON spec file.
type DecodeFunc func(value []byte) (*store.Spec, error)

// DecodeValue is a strict JSON decoder of one Value: unknown fields and
// trailing data are refused.
func DecodeValue(value []byte) (*store.Spec, error) {
	d := json.NewDecoder(bytes.NewReader(value))
	d.DisallowUnknownFields()
	var v Value
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not a spec's JSON object: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	if d.More() {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return &store.Spec{UID: v.UID, Image: v.Image, Command: v.Command, Env: v.Env,
		Restart: store.RestartPolicy(v.Restart), DesiredState: store.DesiredState(v.DesiredState),
		CPUs: v.CPUs, Memory: v.Memory, Labels: v.Labels}, nil
}

// Key is the bucket key of node's uid (specs and status buckets alike).
func Key(node, uid string) string { return node + "." + uid }

// EventSubject is where node publishes uid's events; "_" stands for events
// of no uid (a pass's brake).
func EventSubject(node, uid string) string {
	if uid == "" {
		uid = "_"
	}
	return EventsSubjectPrefix + "." + node + "." + uid
}

// Event is what the events stream holds for one store event.
type Event struct {
	Node       string `json:"node"`
	StoreID    string `json:"store_id"`
	ID         int64  `json:"id"`
	At         string `json:"at"` // RFC 3339 with milliseconds, UTC
	UID        string `json:"uid,omitempty"`
	Kind       string `json:"kind"`
	Generation int64  `json:"generation,omitempty"`
	ExitCode   *int   `json:"exit_code,omitempty"`
	Reason     string `json:"reason,omitempty"`
	PassID     *int64 `json:"pass_id,omitempty"`
}

// MsgID is the event's Nats-Msg-Id: the stream drops a second copy of an
// event published again after a lost acknowledgement. The store id keeps
// ids unique when a node's database is replaced and its ids start over.
func (e Event) MsgID() string { return fmt.Sprintf("%s.%s.%d", e.Node, e.StoreID, e.ID) }

// Status is the compact per-uid status a node writes to the status bucket.
type Status struct {
	UID               string `json:"uid"`
	State             string `json:"state"`
	Desired           string `json:"desired"`
	Generation        int64  `json:"generation,omitempty"`
	RunningGeneration int64  `json:"running_generation,omitempty"`
	Restarts          int    `json:"restarts,omitempty"`
	ExitCode          *int   `json:"exit_code,omitempty"`
	CrashLoop         bool   `json:"crash_loop,omitempty"`
	LastEvent         string `json:"last_event,omitempty"`
	LastEventAt       string `json:"last_event_at,omitempty"`
	Error             string `json:"error,omitempty"`
	// Refused is why the fleet's value for the uid was not applied.
	Refused string `json:"refused,omitempty"`
}

// Report is the node's own key in the status bucket (the node name alone),
// rewritten at least every report interval: when the node last reported.
type Report struct {
	Node      string `json:"node"`
	At        string `json:"at"`
	Specs     int    `json:"specs"`
	Revision  int64  `json:"revision"`
	StoreID   string `json:"store_id"`
	Connected string `json:"connected_since"`
}
