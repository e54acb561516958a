package cli

import (
	"context"
	"errors"
	"time"
)

// Backend is the part every CLI backend shares: which binary it runs, the
// name prefix of its containers, its deadlines and extra environment. The
// backends embed it, so its fields are theirs.
type Backend struct {
	Binary      string
	Prefix      string
	CallTimeout time.Duration // every call but run
	RunTimeout  time.Duration // run, which may pull an image
	StopTimeout time.Duration // grace before SIGKILL
	// Env is added to the CLI's environment (tests set CONTAINERS_CONF).
	Env []string

	run Runner
}

// Init fills in a backend for binary with the given settings; the runner
// reads Env at each call, so it can be set later.
func (b *Backend) Init(binary, prefix string, call, run, stop time.Duration) {
	b.Binary = binary
	b.Configure(prefix, call, run, stop)
	b.run = ExecRunner(func() []string { return b.Env })
}

// Configure sets the name prefix and the deadlines, as the config gives them.
func (b *Backend) Configure(prefix string, call, run, stop time.Duration) {
	b.Prefix, b.CallTimeout, b.RunTimeout, b.StopTimeout = prefix, call, run, stop
}

// Call runs one command under timeout, env values redacted from errors; a
// non-zero exit goes through translate, which maps it onto runtime's errors.
func (b *Backend) Call(ctx context.Context, timeout time.Duration, translate func(*Error) error, args ...string) ([]byte, error) {
	out, err := Call(ctx, b.run, timeout, b.Binary, args, "--env")
	var ce *Error
	if errors.As(err, &ce) {
		return nil, translate(ce)
	}
	return out, err
}
