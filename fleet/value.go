package fleet

import (
	"encoding/json"
	"fmt"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// EncodeSpec writes the bucket value for s: the JSON object a spec file
// holds (spec.Spec without what the store sets), memory in bytes.
func EncodeSpec(s store.Spec) []byte {
	b, _ := json.Marshal(s.Portable()) // every field of a spec marshals
	return b
}

// DecodeFunc turns a bucket value into a spec; serve passes the decoder
// `apply` uses for a JSON spec file.
type DecodeFunc func(value []byte) (*store.Spec, error)

// DecodeValue decodes one bucket value with the spec files' strict decoder
// (spec.DecodeOne): unknown, store-set and repeated keys, and trailing data,
// are refused.
func DecodeValue(value []byte) (*store.Spec, error) { return spec.DecodeOne(value) }

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
