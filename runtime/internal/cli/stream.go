package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// Stream runs one command whose output is the answer, such as `logs`:
// stdout and stderr go to w through one pipe, so lines keep the order the
// CLI wrote them in (a container's stderr lines come on the CLI's stderr).
// timeout 0 leaves only ctx to end it (`logs --follow`, or a read under
// its caller's deadline). A deadline's error names the one that cut it
// (Within). A non-zero exit goes through translate; the error carries the
// last output, which held the CLI's own message, and may be a line the
// container wrote: whoever logs it redacts it (internal/redact).
func (b *Backend) Stream(ctx context.Context, timeout time.Duration, translate func(*Error) error, w io.Writer, args ...string) error {
	limit := Within(ctx, timeout)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, b.Binary, args...)
	if len(b.Env) > 0 {
		cmd.Env = append(cmd.Environ(), slices.Clone(b.Env)...)
	}
	out := &lastWriter{w: w, keep: newHeadTail(0, 4<<10)}
	cmd.Stdout, cmd.Stderr = out, out // one writer: exec gives both one pipe
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		if limit > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%s %s: not done within %s: %w", b.Binary, args[0], limit, ctx.Err())
		}
		return ctx.Err()
	case errors.As(err, &ee):
		return translate(&Error{Binary: b.Binary, Args: args, ExitCode: ee.ExitCode(), Stderr: Trim(out.keep.Bytes()), Cause: lastWord(out.keep.Bytes())})
	}
	return fmt.Errorf("%s %s: %w", b.Binary, args[0], err)
}

// lastWriter passes writes on to w and keeps the last of them for errors. A
// failing w (a closed terminal) ends the copy, not the bookkeeping.
type lastWriter struct {
	mu   sync.Mutex
	w    io.Writer
	keep *headTail
	err  error
}

func (l *lastWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.keep.Write(p)
	if l.err == nil {
		_, l.err = l.w.Write(p)
	}
	return len(p), l.err
}
