// Package cli runs a container runtime's command-line tool for the backends:
// exec without a shell, a deadline on every call, bounded output in errors,
// and env values kept out of error messages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/veloslet/veloslet/internal/redact"
)

// Error is a CLI call that exited non-zero: its arguments (env values
// redacted), exit code, trimmed stderr and the CLI's own last word.
type Error struct {
	Binary   string
	Args     []string
	ExitCode int
	Stderr   string
	// Cause is the CLI's final "Error: …" line (podman and Apple's CLI
	// both end with one), else its last line of output.
	Cause string
}

// Error puts the CLI's own message first, then which CLI and verb failed
// with what code. It never holds the whole argv: the cause is what an
// operator needs, and progress lines, retry warnings and every flag before
// it only bury it (the argv stays in Args for whoever wants it).
func (e *Error) Error() string {
	cause, verb := e.Cause, ""
	if cause == "" {
		cause = "no error message"
	}
	if len(e.Args) > 0 {
		verb = " " + e.Args[0]
	}
	return fmt.Sprintf("%s (%s%s, exit %d)", cause, filepath.Base(e.Binary), verb, e.ExitCode)
}

// lastWord returns the final line of out that starts with "Error:" (in
// either case), else its last non-empty line, bounded as Trim bounds.
func lastWord(out []byte) string {
	lines := strings.Split(string(out), "\n")
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(strings.ToLower(l), "error:") {
			return Trim([]byte(l))
		}
		if last == "" {
			last = l
		}
	}
	return Trim([]byte(last))
}

// Runner runs binary with args and env added to the daemon's environment;
// backends hold one in a field so tests can substitute recorded output. It
// returns an error only when the command could not run or ctx ended; a
// non-zero exit is reported in code.
type Runner func(ctx context.Context, binary string, args, env []string) (stdout, stderr []byte, code int, err error)

// ErrOutputTooLarge is returned by a call whose stdout exceeds MaxStdout.
var ErrOutputTooLarge = errors.New("output too large")

// ExecRunner returns a Runner that execs the binary with env added to ours.
// It keeps at most MaxStdout of stdout and the first and last StderrKeep
// bytes of stderr. Once stdout passes MaxStdout the read stops (the CLI then
// meets a closed pipe) and the call fails with ErrOutputTooLarge: a CLI
// that prints without end is stopped at the bound, not at the deadline.
func ExecRunner() Runner {
	return func(ctx context.Context, binary string, args, env []string) ([]byte, []byte, int, error) {
		cmd := exec.CommandContext(ctx, binary, args...)
		if len(env) > 0 {
			cmd.Env = append(cmd.Environ(), env...)
		}
		stdout, stderr := newHeadTail(MaxStdout, 0), newHeadTail(StderrKeep, StderrKeep)
		stdout.fail = true
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.WaitDelay = time.Second // children holding the pipes cannot hang us
		err := cmd.Run()
		if stdout.Truncated() {
			return nil, stderr.Bytes(), -1, fmt.Errorf("%w: stdout exceeds %d bytes", ErrOutputTooLarge, MaxStdout)
		}
		if err == nil {
			return stdout.Bytes(), stderr.Bytes(), 0, nil
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return stdout.Bytes(), stderr.Bytes(), ee.ExitCode(), nil
		}
		return stdout.Bytes(), stderr.Bytes(), -1, err
	}
}

// Within returns how long a call made now under ctx and timeout (0: none of
// its own) may take: the sooner of the two. Errors name it, so a call cut
// by its caller's 5 s says 5 s, not the backend's own 30 s.
func Within(ctx context.Context, timeout time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		if u := time.Until(d); timeout <= 0 || u < timeout {
			return max(u.Round(100*time.Millisecond), 100*time.Millisecond)
		}
	}
	return timeout
}

// Call runs one command under timeout. It returns stdout, or an error: the
// deadline, a failure to run, or an *Error for a non-zero exit.
func Call(ctx context.Context, run Runner, timeout time.Duration, binary string, args, env []string, secret ...string) ([]byte, error) {
	limit := Within(ctx, timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stdout, stderr, code, err := run(ctx, binary, args, env)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: no answer within %s: %w", binary, args[0], limit, ctx.Err())
		}
		return nil, fmt.Errorf("%s %s: %w", binary, args[0], err)
	}
	if code != 0 {
		return nil, &Error{Binary: binary, Args: redact.Args(args, secret...), ExitCode: code, Stderr: Trim(stderr), Cause: lastWord(stderr)}
	}
	return stdout, nil
}

// Trim makes CLI output one bounded line.
func Trim(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}
