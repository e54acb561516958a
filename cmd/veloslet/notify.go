package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veloslet/veloslet/supervisor"
)

// sdNotifier speaks systemd's notify protocol: one datagram per state change
// to the socket named by NOTIFY_SOCKET. A few lines of our own rather than a
// library, because the variables must be read once and then removed from the
// environment: podman inherits serve's environment and would otherwise hand
// the socket on to the containers it starts.
type sdNotifier struct {
	addr     string        // "" when not run by systemd: every call does nothing
	watchdog time.Duration // the interval systemd expects pings within; 0: none asked
	log      *slog.Logger
	ready    sync.Once
	mu       sync.Mutex // one datagram at a time keeps STATUS lines in order
	// ticker is time.NewTicker's channel and stop; tests replace it.
	ticker func(time.Duration) (<-chan time.Time, func())
}

// newSDNotifier reads and clears NOTIFY_SOCKET and the watchdog variables.
func newSDNotifier(log *slog.Logger) *sdNotifier {
	n := &sdNotifier{addr: os.Getenv("NOTIFY_SOCKET"), log: log}
	if usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && usec > 0 {
		// WATCHDOG_PID names the process the watchdog is for; a variable
		// inherited from a parent that is itself supervised is not ours.
		if pid := os.Getenv("WATCHDOG_PID"); pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(usec) * time.Microsecond
		}
	}
	for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		_ = os.Unsetenv(k)
	}
	return n
}

func (n *sdNotifier) send(state string) {
	if n.addr == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	// Go maps a leading '@' to Linux's abstract socket namespace, as systemd means it.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err == nil {
		_, err = conn.Write([]byte(state))
		_ = conn.Close()
	}
	if err != nil {
		n.log.Warn("systemd notify", "socket", n.addr, "error", err)
	}
}

// ObservePass reports READY=1 once, after the first pass (crash recovery is
// done), then a one-line STATUS= after every pass.
func (n *sdNotifier) ObservePass(res *supervisor.PassResult, err error) {
	n.ready.Do(func() { n.send("READY=1") })
	n.send("STATUS=" + passStatus(res, err))
}

// Stopping tells systemd that the shutdown began, so it waits TimeoutStopSec.
func (n *sdNotifier) Stopping() { n.send("STOPPING=1\nSTATUS=finishing the pass in flight") }

// RunWatchdog pings at half the interval systemd asked for, while alive
// reports true, until ctx ends. A daemon whose loop is wedged stops pinging
// and systemd restarts it.
func (n *sdNotifier) RunWatchdog(ctx context.Context, alive func() bool) {
	if n.addr == "" || n.watchdog <= 0 {
		return
	}
	ticker := n.ticker
	if ticker == nil {
		ticker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	tick, stop := ticker(n.watchdog / 2)
	defer stop()
	for {
		if alive() {
			n.send("WATCHDOG=1")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

func passStatus(res *supervisor.PassResult, err error) string {
	if err != nil {
		// STATUS= is one line: the protocol reads a newline as the next variable.
		return "last pass failed: " + strings.Join(strings.Fields(err.Error()), " ")
	}
	if res == nil {
		return "pass done"
	}
	return fmt.Sprintf("%d desired, %d running, %d actions, %d failed; last pass %s",
		res.Desired, res.States["running"], len(res.Plan.Actions), res.Failures, res.StartedAt.UTC().Format(time.RFC3339))
}
