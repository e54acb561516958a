package main

import (
	"fmt"
	"strings"

	"github.com/veloslet/veloslet/fleet"
)

// FleetConfig is the [fleet] section: off while url is empty.
type FleetConfig struct {
	URL          URLList `toml:"url"`
	Node         string  `toml:"node"`
	Creds        string  `toml:"creds"`
	NKey         string  `toml:"nkey"`
	SpecsBucket  string  `toml:"specs_bucket"`
	StatusBucket string  `toml:"status_bucket"`
	EventsStream string  `toml:"events_stream"`
	// CreateBuckets lets serve create a missing specs bucket (docs/fleet.md).
	CreateBuckets bool `toml:"create_buckets"`
}

// URLList is one server URL or an array of them; a string may also list
// several separated by commas, as NATS tools accept.
type URLList []string

// UnmarshalTOML accepts a string or an array of strings.
func (u *URLList) UnmarshalTOML(v any) error {
	var parts []string
	switch v := v.(type) {
	case string:
		parts = strings.Split(v, ",")
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("fleet.url: want a string or an array of strings, got an array holding %T", e)
			}
			parts = append(parts, strings.Split(s, ",")...)
		}
	default:
		return fmt.Errorf("fleet.url: want a string or an array of strings, got %T", v)
	}
	*u = nil
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			*u = append(*u, p)
		}
	}
	return nil
}

func defaultFleetConfig() FleetConfig {
	return FleetConfig{Node: fleet.DefaultNode(), SpecsBucket: fleet.DefaultSpecsBucket,
		StatusBucket: fleet.DefaultStatusBucket, EventsStream: fleet.DefaultEventsStream}
}

// Fleet returns the fleet package's view of the section.
func (c FleetConfig) Fleet() fleet.Config {
	return fleet.Config{URLs: c.URL, Node: c.Node, Creds: c.Creds, NKey: c.NKey, SpecsBucket: c.SpecsBucket,
		StatusBucket: c.StatusBucket, EventsStream: c.EventsStream, CreateBuckets: c.CreateBuckets}
}

func (c FleetConfig) validate() error {
	key, value, why := c.Fleet().Check()
	if key == "" {
		return nil
	}
	if key == "node" && c.Node == "" {
		why = "the host name is not a valid node name; set fleet.node"
	}
	return fmt.Errorf("%w: fleet.%s = %s: %s", ErrConfig, key, quoteValue(value), why)
}
