package supervisor

import (
	"bytes"
	"cmp"
	"context"
	"time"
	"unicode/utf8"

	"github.com/veloslet/veloslet/internal/redact"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// Defaults for LogCapture.
const (
	DefaultLogTailLines = 200
	DefaultLogMaxBytes  = 64 << 10
	DefaultLogTimeout   = 5 * time.Second
	DefaultLogKeep      = 10
)

// LogCapture says what is kept of an exited instance's output before it is
// relaunched or replaced, which destroys the runtime's copy: the last
// TailLines lines and at most MaxBytes of them, read within Timeout, the
// newest Keep per uid. TailLines 0 keeps nothing.
type LogCapture struct {
	TailLines int
	MaxBytes  int
	Timeout   time.Duration
	Keep      int
}

// DefaultLogCapture returns the default bounds.
func DefaultLogCapture() LogCapture {
	return LogCapture{TailLines: DefaultLogTailLines, MaxBytes: DefaultLogMaxBytes, Timeout: DefaultLogTimeout, Keep: DefaultLogKeep}
}

// keepCrashLog reads and stores the output of the exited instance that
// action a is about to remove or has started again, when the runtime keeps
// output: what was written before until, if set. It never fails the action:
// the removal goes ahead after at most Timeout, and a failure to read or
// store is logged. An orphan's output is not kept: its spec is gone, so its
// env values could not be redacted.
func (s *Supervisor) keepCrashLog(ctx context.Context, passID int64, a *Action, until time.Time) {
	c := s.LogCapture
	lg, ok := s.Runtime.(runtime.Logger)
	obs := a.Observed
	switch {
	case !ok || c.TailLines <= 0 || a.Spec == nil || obs == nil || obs.State != runtime.StateExited:
		return
	case !a.row().keepsLog:
		return
	case a.Next != nil && a.Next.State == store.InstanceStopped:
		return // stopped on purpose, not a crash
	}
	rctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultLogTimeout))
	defer cancel()
	buf := newTailBuffer(cmp.Or(c.MaxBytes, DefaultLogMaxBytes))
	if err := lg.Logs(rctx, obs.ID, runtime.LogOptions{Tail: c.TailLines, Until: until, Since: runSince(obs.StartedAt)}, buf); err != nil {
		// The error may quote the container's output (podman's last line).
		s.logger().Warn("read output of exited instance", LogKeyPass, passID, LogKeyUID, a.UID, "instance", obs.ID, LogKeyError, redact.Error(err, a.Spec.Env))
		return
	}
	text, lines, cut := buf.text(c.TailLines)
	l := &store.CrashLog{UID: a.UID, RuntimeID: string(obs.ID), ExitCode: obs.ExitCode,
		Lines: lines, Truncated: cut, Text: RedactEnv(text, a.Spec.Env)}
	if err := s.DB.SaveCrashLog(context.WithoutCancel(ctx), l, passID, c.Keep); err != nil {
		s.logger().Warn("store output of exited instance", LogKeyPass, passID, LogKeyUID, a.UID, "instance", obs.ID, LogKeyError, err)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max     int
	b       []byte
	dropped bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.dropped = true
	}
	return len(p), nil
}

// text returns the kept output as whole lines, at most maxLines of them,
// valid UTF-8, how many lines, and whether anything was cut.
func (t *tailBuffer) text(maxLines int) (string, int, bool) {
	b, cut := t.b, t.dropped
	if cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:] // the first line is a fragment
		}
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if len(lines) > maxLines {
		lines, cut = lines[len(lines)-maxLines:], true
	}
	out := bytes.Join(lines, nil)
	if !utf8.Valid(out) {
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	return string(out), len(lines), cut
}

// envOf returns the env of a's spec, whose values a runtime's error about a
// may quote (the container's output): nil without a spec.
func envOf(a *Action) map[string]string {
	if a.Spec == nil {
		return nil
	}
	return a.Spec.Env
}

// RedactEnv replaces every value of env in text by "[env NAME]"; it is
// redact.Env, whose comment says what it promises.
func RedactEnv(text string, env map[string]string) string { return redact.Env(text, env) }

// sinceMargin is how much earlier than the recorded start a crash log is
// read from: the runtime stamps a line when its log reader gets it, which on
// a loaded host can come before the start time it records for the run (a
// process that prints at once and exits lost its whole output to an exact
// cut). Half a second of the run before is the lesser harm.
const sinceMargin = 500 * time.Millisecond

// runSince is where the crash log of a run that started at start begins; the
// zero time (start unknown) reads from the beginning.
func runSince(start time.Time) time.Time {
	if start.IsZero() {
		return start
	}
	return start.Add(-sinceMargin)
}
