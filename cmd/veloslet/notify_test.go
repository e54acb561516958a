package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

// notifySocket listens where a serve under test sends its notifications and
// hands each datagram to the returned channel.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	msgs := make(chan string, 256)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return path, msgs
}

// next returns the first datagram that contains want, failing after clitest.WaitTimeout.
func next(t *testing.T, msgs <-chan string, want string) string {
	t.Helper()
	deadline := time.After(clitest.WaitTimeout)
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("socket closed before %q", want)
			}
			if strings.Contains(m, want) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q within %s", want, clitest.WaitTimeout)
		}
	}
}

// TestServe_NotifiesSystemd runs serve as systemd would with Type=notify and
// a watchdog: READY=1 only once the start-up pass is recorded, STATUS= lines,
// WATCHDOG=1 pings, and STOPPING=1 on SIGTERM.
func TestServe_NotifiesSystemd(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	sock, msgs := notifySocket(t)
	d := e.Serve("NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000")
	next(t, msgs, "READY=1")
	db := e.OpenDB()
	if p, err := db.LastPass(context.Background()); err != nil || p.FinishedAt.Time().IsZero() {
		t.Fatalf("READY=1 before the first pass was recorded: %+v, %v", p, err)
	}
	if st := next(t, msgs, "STATUS="); !strings.Contains(st, "2 desired") {
		t.Errorf("status line %q does not count the 2 specs", st)
	}
	next(t, msgs, "WATCHDOG=1")
	next(t, msgs, "WATCHDOG=1")
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	next(t, msgs, "STOPPING=1")
	if code := d.Wait(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

// TestSDNotifier_NotForChildren: the variables are read once and removed, so
// podman and the containers it starts never inherit systemd's socket.
func TestSDNotifier_NotForChildren(t *testing.T) {
	sock, msgs := notifySocket(t)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", "1") // another process's watchdog: not ours
	n := newSDNotifier(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		if v, ok := syscall.Getenv(k); ok {
			t.Errorf("%s=%q still in the environment", k, v)
		}
	}
	if n.watchdog != 0 {
		t.Errorf("watchdog %s taken from another pid's variables", n.watchdog)
	}
	n.ObservePass(nil, context.DeadlineExceeded)
	n.ObservePass(nil, nil)
	want := []string{"READY=1", "STATUS=last pass failed: context deadline exceeded", "STATUS=pass done"}
	for i, w := range want {
		if got := <-msgs; got != w {
			t.Fatalf("datagram %d = %q, want %q (READY=1 once, then one STATUS per pass)", i, got, w)
		}
	}
}
