package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store"
)

// TestStatus_HeaderAndWatch: the header names the daemon (none here) and
// the age of the last successful pass; --watch draws a frame per tick and
// ends when its context does.
func TestStatus_HeaderAndWatch(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 10s\"\n")
	e.mustRun(`{"uid": "web", "image": "nginx"}`, "apply", "-f", "-")
	if out := e.mustRun("", "status"); !strings.HasPrefix(out, "no daemon; no successful pass yet\n") {
		t.Fatalf("status before any pass:\n%s", out)
	}
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "status"); !strings.HasPrefix(out, "no daemon; last successful pass 0s ago (pass 1)\nUID") {
		t.Fatalf("status after a pass:\n%s", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tick := make(chan time.Time)
	var out clitest.SyncBuffer
	m := NewMain()
	m.Stdout, m.Stderr = &out, io.Discard
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.Config
		}
		return ""
	}
	m.Ticker = func(time.Duration) (<-chan time.Time, func()) { return tick, func() {} }
	done := make(chan int)
	go func() { done <- m.Execute(ctx, []string{"status", "--watch"}) }()
	for range 2 {
		tick <- time.Now()
	}
	e.mustRun("", "stop", "web")
	tick <- time.Now() // the third frame is drawn after the stop
	clitest.Poll(t, func() error {
		if n := strings.Count(out.String(), "UID  DESIRED"); n < 4 {
			return fmt.Errorf("%d frames drawn", n)
		}
		return nil
	})
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("status --watch ended with exit %d", code)
	}
	frames := strings.Split(out.String(), "no daemon;")
	if last := frames[len(frames)-1]; !strings.Contains(last, "web  stopped") {
		t.Fatalf("the last frame does not show the stop:\n%s", last)
	}
}

// TestDisplayState_ForeignIsNotOrphan: an instance of another store whose
// uid has no spec is shown foreign (never touched), not orphan (removed).
func TestDisplayState_ForeignIsNotOrphan(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		desired, state, want string
	}{
		{"deleted", "foreign", "foreign"},
		{"deleted", "running", "orphan"},
		{"running", "foreign", "foreign"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: c.desired, State: c.state}
		if got := displayState(r, now); got != c.want {
			t.Errorf("desired %s, state %s: shown %q, want %q", c.desired, c.state, got, c.want)
		}
	}
}

// TestDisplayState_Completed: an accepted exit whose instance was removed
// (no runtime id) is shown completed; one still listed, or one the policy
// relaunches, as before.
func TestDisplayState_Completed(t *testing.T) {
	now := time.Now()
	str := func(s string) *string { return &s }
	code := func(c int) *int { return &c }
	for _, c := range []struct {
		restart, runtimeID string
		code               *int
		want               string
	}{
		{"never", "", code(0), "completed"},
		{"never", "", code(3), "completed(3)"},
		{"never", "", nil, "completed(?)"},
		{"on-failure", "", code(0), "completed"},
		{"never", "c0ffee", code(0), "exited(0)"},
		{"on-failure", "", code(1), "exited(1)"},
		{"always", "", code(0), "exited(0)"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: "running", State: "exited", Restart: str(c.restart),
			RuntimeID: str(c.runtimeID), ExitCode: c.code}
		if got := displayState(r, now); got != c.want {
			t.Errorf("restart %s, runtime id %q, code %v: shown %q, want %q", c.restart, c.runtimeID, deref(c.code, "nil"), got, c.want)
		}
	}
}

// TestDisplayState_Pulling: a launch in flight that is pulling its image
// shows as pulling, with how long it has been.
func TestDisplayState_Pulling(t *testing.T) {
	now := time.Now()
	img := "registry.example/app:1"
	r := &store.StatusRow{UID: "x", DesiredState: "running", State: "pending",
		PullImage: &img, PullingSince: store.Millis(now.Add(-42 * time.Second))}
	if got := displayState(r, now); got != "pulling 42s" {
		t.Fatalf("shown %q, want %q", got, "pulling 42s")
	}
}

// TestDisplayState_BackoffDue: a back-off deadline less than a second away,
// or past, reads "backoff due", never "backoff 0s".
func TestDisplayState_BackoffDue(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		wait time.Duration
		want string
	}{
		{40 * time.Second, "backoff 40s"},
		{1500 * time.Millisecond, "backoff 1s"},
		{400 * time.Millisecond, "backoff due"},
	} {
		r := &store.StatusRow{UID: "x", DesiredState: "running", State: "pending",
			NextAttemptAt: store.Millis(now.Add(c.wait))}
		if got := displayState(r, now); got != c.want {
			t.Errorf("wait %s: shown %q, want %q", c.wait, got, c.want)
		}
	}
	if got := untilText(-time.Minute); got != "due" {
		t.Errorf("a past deadline reads %q, want due", got)
	}
}
