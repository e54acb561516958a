package cli

import (
	"context"
	"errors"
	"os"
	"slices"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// Backend is the part every CLI backend shares: which binary it runs, the
// name prefix of its containers, its deadlines and extra environment. The
// backends embed it, so its fields are theirs.
type Backend struct {
	Binary string
	Prefix string
	// StoreID is this store's id: List also returns the containers labelled
	// velos.store=StoreID whatever their name. Empty: by prefix only.
	StoreID     string
	CallTimeout time.Duration // every call but run
	RunTimeout  time.Duration // run, which may pull an image
	StopTimeout time.Duration // grace before SIGKILL
	// Env is added to the CLI's environment (tests set CONTAINERS_CONF).
	Env []string

	run Runner
}

// Init fills in a backend for binary with the given settings.
func (b *Backend) Init(binary, prefix string, call, run, stop time.Duration) {
	b.Binary = binary
	b.Configure(runtime.Options{NamePrefix: prefix, CallTimeout: call, RunTimeout: run, StopTimeout: stop})
	b.run = ExecRunner()
}

// Configure applies the options the config gives; a zero field keeps what
// the backend has.
func (b *Backend) Configure(o runtime.Options) {
	set(&b.Binary, o.Binary)
	set(&b.Prefix, o.NamePrefix)
	set(&b.StoreID, o.StoreID)
	set(&b.CallTimeout, o.CallTimeout)
	set(&b.RunTimeout, o.RunTimeout)
	set(&b.StopTimeout, o.StopTimeout)
}

// set sets *dst to v unless v is zero.
func set[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// SetStoreID sets StoreID: List then also returns this store's labelled
// containers under any name.
func (b *Backend) SetStoreID(id string) { b.StoreID = id }

// Call runs one command under timeout, env values redacted from errors; a
// non-zero exit goes through translate, which maps it onto runtime's errors.
func (b *Backend) Call(ctx context.Context, timeout time.Duration, translate func(*Error) error, args ...string) ([]byte, error) {
	return b.call(ctx, timeout, translate, args, slices.Clone(b.Env))
}

// CallEnv runs the command that build returns for the env flags it is given,
// passing env's values outside argv (see passEnv): build places the flags
// among the command's options. Returns runtime.ErrInvalid for a value that
// cannot be passed that way.
func (b *Backend) CallEnv(ctx context.Context, timeout time.Duration, translate func(*Error) error,
	env map[string]string, build func(envFlags []string) []string) ([]byte, error) {
	base := append(os.Environ(), b.Env...)
	p, err := passEnv(env, base)
	if err != nil {
		return nil, err
	}
	defer p.cleanup()
	return b.call(ctx, timeout, translate, build(p.flags), append(slices.Clone(b.Env), p.child...))
}

func (b *Backend) call(ctx context.Context, timeout time.Duration, translate func(*Error) error, args, env []string) ([]byte, error) {
	out, err := Call(ctx, b.run, timeout, b.Binary, args, env, "--env")
	var ce *Error
	if errors.As(err, &ce) {
		return nil, translate(ce)
	}
	return out, err
}

// Environ returns the environment the CLI runs with when no env is passed:
// the daemon's own plus Env.
func (b *Backend) Environ() []string { return append(os.Environ(), b.Env...) }
