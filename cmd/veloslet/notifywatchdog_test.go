package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestSDNotifier_WatchdogAtHalfTheInterval: asked for WATCHDOG_USEC=10 s,
// serve ticks every 5 s and pings at start and at every tick while its
// loop is alive; a wedged loop is not pinged for, so systemd restarts it.
func TestSDNotifier_WatchdogAtHalfTheInterval(t *testing.T) {
	sock, msgs := notifySocket(t)
	tick := make(chan time.Time)
	asked := make(chan time.Duration, 1)
	n := &sdNotifier{addr: sock, watchdog: 10 * time.Second, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ticker: func(d time.Duration) (<-chan time.Time, func()) { asked <- d; return tick, func() {} }}
	answers := make(chan bool) // what each alive() call returns, in turn
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.RunWatchdog(ctx, func() bool { return <-answers })
	}()
	if d := <-asked; d != 5*time.Second {
		t.Fatalf("ticker every %s, want 5s (half of WATCHDOG_USEC)", d)
	}
	for _, live := range []bool{true, false, true, false, false, true} {
		answers <- live
		tick <- time.Now()
	}
	cancel()
	answers <- false // the round after the last tick; then it sees the cancel
	<-done
	n.send("END")
	pings := 0
	for m := range msgs {
		if m == "END" {
			break
		}
		if m != "WATCHDOG=1" {
			t.Fatalf("datagram %q", m)
		}
		pings++
	}
	if pings != 3 {
		t.Fatalf("%d pings for 3 rounds alive out of 6", pings)
	}
}
