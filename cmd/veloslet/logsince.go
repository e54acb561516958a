package main

import (
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/podman"
)

// parseSince reads `logs --since`: a duration back from now ("10m", "1h30m")
// or an RFC 3339 time, as docker and podman take it.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, usagef("--since %q: a duration back from now must be positive", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want a duration back from now (10m, 2h) or an RFC 3339 time (2026-12-06T10:00:00Z)", s)
}

// timedLogs refuses --since and --timestamps for a runtime whose logs keep
// no times, rather than print what the operator did not ask for: Apple's
// `container logs` offers -n and --follow, and
// the simulated runtime keeps lines without times.
func timedLogs(rt runtime.Runtime, opts runtime.LogOptions) error {
	if opts.Since.IsZero() && !opts.Timestamps {
		return nil
	}
	switch rt.(type) {
	case *podman.Runtime, *docker.Runtime:
		return nil
	case *apple.Runtime:
		return usagef("--since and --timestamps: Apple's `container logs` offers only -n (--tail here) and --follow")
	}
	return usagef("--since and --timestamps: the %T runtime keeps no times for its output", rt)
}
