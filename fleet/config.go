// Package fleet connects one veloslet node to a NATS JetStream fleet: it
// mirrors the node's keys of the specs bucket into the local store, writes a
// compact status per uid to the status bucket and publishes the store's
// events to the events stream. The local store stays the authority for what
// runs: when the servers are unreachable the supervisor goes on from SQLite,
// and the mirror resumes from the last applied bucket revision.
package fleet

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Defaults for the bucket and stream names.
const (
	DefaultSpecsBucket  = "veloslet_specs"
	DefaultStatusBucket = "veloslet_status"
	DefaultEventsStream = "VELOSLET_EVENTS"
	// EventsSubjectPrefix starts every event subject:
	// veloslet.events.<node>.<uid>.
	EventsSubjectPrefix = "veloslet.events"
	// MaxNodeLen is a uid's limit, so that a node name fits where a uid does.
	MaxNodeLen = 48
)

// Config says where the fleet is and who this node is.
type Config struct {
	URLs         []string // nats:// or tls:// servers; empty: no fleet
	Node         string
	Creds        string // a NATS credentials file; empty: none
	NKey         string // a file holding an nkey seed (SU…); empty: none
	SpecsBucket  string
	StatusBucket string
	EventsStream string
	// CreateBuckets lets a node create a missing specs bucket. Off by
	// default: a node that creates it would mirror an empty bucket, so
	// only the operator's fleet verbs create it.
	CreateBuckets bool
}

// Enabled reports whether a fleet is configured.
func (c Config) Enabled() bool { return len(c.URLs) > 0 }

var (
	// A node is a uid without '.': the node is the first token of a key
	// ("<node>.<uid>") and of an event subject, so a dot would make
	// "a.b" + "c" and "a" + "b.c" the same key.
	nodePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	bucketPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// ValidNode says why name cannot be a node name, or returns nil.
func ValidNode(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case len(name) > MaxNodeLen:
		return fmt.Errorf("must be at most %d characters", MaxNodeLen)
	case !nodePattern.MatchString(name):
		return fmt.Errorf("must be lower-case letters, digits, '_' or '-', starting with a letter or digit " +
			"(no '.': it separates the node from the uid in keys and subjects)")
	}
	return nil
}

// DefaultNode derives a node name from the host name: its first label in
// lower case ("Mac-mini-7.local" gives "mac-mini-7"), or "" when that is
// not a valid node name.
func DefaultNode() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	h, _, _ = strings.Cut(strings.ToLower(h), ".")
	if ValidNode(h) != nil {
		return ""
	}
	return h
}

// Check returns the first bad field as (key, value, reason), with key
// relative to the [fleet] section; key is "" when all is well.
func (c Config) Check() (key string, value any, reason string) {
	for _, u := range c.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			return "url", u, "want a server such as \"nats://127.0.0.1:4222\" (nats:// or tls://)"
		}
		if p.User != nil {
			return "url", p.Redacted(), "put credentials in a creds file (fleet.creds), not in the URL"
		}
	}
	if !c.Enabled() {
		return "", nil, ""
	}
	if err := ValidNode(c.Node); err != nil {
		return "node", c.Node, err.Error()
	}
	for _, kv := range [][2]string{{"specs_bucket", c.SpecsBucket}, {"status_bucket", c.StatusBucket}, {"events_stream", c.EventsStream}} {
		if !bucketPattern.MatchString(kv[1]) {
			return kv[0], kv[1], "must be letters, digits, '_' or '-'"
		}
	}
	if c.SpecsBucket == c.StatusBucket {
		return "status_bucket", c.StatusBucket, "must differ from specs_bucket"
	}
	if c.Creds != "" && c.NKey != "" {
		return "nkey", c.NKey, "set creds or nkey, not both"
	}
	for _, kv := range [][2]string{{"creds", c.Creds}, {"nkey", c.NKey}} {
		if kv[1] == "" {
			continue
		}
		if _, err := os.Stat(kv[1]); err != nil {
			return kv[0], kv[1], err.Error()
		}
	}
	return "", nil, ""
}
