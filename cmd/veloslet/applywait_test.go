package main

import (
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
)

// TestApply_Wait: with a daemon serving, --wait returns once the applied
// uid runs; for an image that cannot be pulled it fails within its timeout
// naming the uid and why.
func TestApply_Wait(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "")
	e.Serve()
	e.WaitPass(e.OpenDB(), store.TriggerStartup)
	out, errOut, code := e.run(`{"uid":"web","image":"busybox","command":["sleep","infinity"]}`,
		"apply", "-f", "-", "--wait", "--timeout", "1m")
	if code != 0 || !strings.Contains(out, "web created\n") || !strings.Contains(out, "web ready\n") {
		t.Fatalf("apply --wait of a good spec: exit %d\n%s%s", code, out, errOut)
	}
	spec := `{"uid":"typo","image":"` + fake.MissingRegistry + `app:1","command":["sleep","infinity"]}`
	out, errOut, code = e.run(spec, "apply", "-f", "-", "--wait", "--timeout", "3s")
	if code != ExitFailure || !strings.Contains(errOut, "typo:") || !strings.Contains(errOut, "image not found") {
		t.Fatalf("apply --wait of a missing image: exit %d, want %d naming typo and the pull error\n%s%s", code, ExitFailure, out, errOut)
	}
}

// TestApply_WaitNeedsDaemon: with no daemon nothing would start the specs,
// so --wait says so at once rather than waiting out its timeout.
func TestApply_WaitNeedsDaemon(t *testing.T) {
	e := newTestEnv(t, "")
	_, errOut, code := e.run(`{"uid":"web","image":"busybox"}`, "apply", "-f", "-", "--wait")
	if code != ExitFailure || !strings.Contains(errOut, "no daemon serves") {
		t.Fatalf("exit %d, %q; want %d saying no daemon serves the database", code, errOut, ExitFailure)
	}
}
