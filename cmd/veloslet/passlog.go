package main

import (
	"context"
	"log/slog"
)

// dropPassEcho leaves out the supervisor's log records that a one-shot
// pass (reconcile, restart) prints anyway: each failed action is a line of
// the pass's summary and the pass's error is the command's error, so
// logging them too printed the same error three times. Everything else
// the supervisor logs passes through.
type dropPassEcho struct{ slog.Handler }

// passEchoes are the messages of supervisor/dispatch.go and
// supervisor/supervisor.go that printPass repeats.
var passEchoes = map[string]bool{"action failed": true, "pass failed": true}

func (d dropPassEcho) Handle(ctx context.Context, r slog.Record) error {
	if passEchoes[r.Message] {
		return nil
	}
	return d.Handler.Handle(ctx, r)
}

func (d dropPassEcho) WithAttrs(as []slog.Attr) slog.Handler {
	return dropPassEcho{d.Handler.WithAttrs(as)}
}

func (d dropPassEcho) WithGroup(name string) slog.Handler {
	return dropPassEcho{d.Handler.WithGroup(name)}
}
