// Command veloslet is the per-machine container supervisor: `veloslet serve`
// runs the daemon, and the other verbs are the operator's CLI over the same
// SQLite file. This package alone knows about flags, the config file, signals
// and exit codes; it builds the pieces and wires them together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	// Once the first signal has ended ctx, restore Go's default handling so
	// that a second signal ends the process at once.
	m.StopSignals = stop
	os.Exit(m.Execute(ctx, os.Args[1:]))
}
