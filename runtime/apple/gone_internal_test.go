package apple

import (
	"testing"
	"time"
)

// TestGone: only the exact sentence a release prints for this container
// counts as "no such container"; any other failure is left to a second look.
func TestGone(t *testing.T) {
	const name = "velos-web"
	for _, tc := range []struct {
		verb, stderr string
		code         int
		want         bool
	}{
		{"stop", `Error: internalError: "failed to stop container" (cause: "notFound: "container with ID velos-web not found"")`, 1, true},
		{"delete", `Error: internalError: "failed to delete container" (cause: "notFound: "container with ID velos-web not found"")`, 1, true},
		{"delete", `Error: notFound: "failed to delete one or more containers: ["velos-web"]"`, 1, true}, // up to 0.9
		{"delete", `Error: failed to delete one or more containers: ["velos-web"]`, 1, true},             // 0.10
		{"stop", `Error: failed to delete one or more containers: ["velos-web"]`, 1, false},
		{"delete", `Error: failed to delete one or more containers: ["velos-web", "velos-db"]`, 1, false},
		{"delete", `Error: internalError: "failed to delete container" (cause: "notFound: "container with ID velos-web2 not found"")`, 1, false},
		{"delete", `Error: internalError: "failed to delete container" (cause: "notFound: "image not found"")`, 1, false},
		{"delete", `Error: notFound: "envfile at /tmp/x not found"`, 1, false},
		{"delete", `Error: container velos-web not found, and the disk is full`, 1, false},
		{"delete", `Error: failed to delete one or more containers: ["velos-web"]`, 64, false},
	} {
		e := &CommandError{ExitCode: tc.code, Stderr: tc.stderr}
		if got := gone(tc.verb, name, e); got != tc.want {
			t.Errorf("gone(%s, exit %d, %q)=%v, want %v", tc.verb, tc.code, tc.stderr, got, tc.want)
		}
	}
}

func TestNextPoll(t *testing.T) {
	const p, m = 2, 8
	for _, tc := range []struct {
		last    int
		changed bool
		want    int
	}{{2, false, 4}, {4, false, 8}, {8, false, 8}, {8, true, 2}, {0, false, 2}, {4, true, 2}} {
		if got := nextPoll(sec(tc.last), sec(p), sec(m), tc.changed); got != sec(tc.want) {
			t.Errorf("nextPoll(%ds, changed=%v)=%s, want %ds", tc.last, tc.changed, got, tc.want)
		}
	}
}

func sec(n int) time.Duration { return time.Duration(n) * time.Second }
