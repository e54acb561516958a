// Package apple drives Apple's `container` CLI (one micro-VM per container).
// It runs the configured binary with exec, never through a shell, each call
// under a deadline, and turns the CLI's failures into runtime errors in one
// place. It has no darwin-only code, so it builds and is tested on Linux
// against an emulator of the CLI (see the emulator folder).
package apple

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.Runtime = (*Runtime)(nil)

// Defaults for Runtime's fields.
const (
	DefaultBinary      = "container"
	DefaultCallTimeout = 30 * time.Second
	DefaultRunTimeout  = 5 * time.Minute
	DefaultStopTimeout = 10 * time.Second
	// MaxNameLen is the longest container name the CLI accepts.
	MaxNameLen = 63
)

// namePattern is the CLI's rule for container names.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// CommandError is a CLI call that failed: its arguments (env values
// redacted), exit code and trimmed stderr.
type CommandError = cli.Error

// Runtime is the Apple container backend.
type Runtime struct {
	cli.Backend // binary, prefix, deadlines, env

	mu      sync.Mutex
	version *semver // detected on first use; nil until then
}

// New returns a backend for the binary (DefaultBinary if empty).
func New(binary string) *Runtime {
	if binary == "" {
		binary = DefaultBinary
	}
	r := &Runtime{}
	r.Init(binary, runtime.DefaultNamePrefix, DefaultCallTimeout, DefaultRunTimeout, DefaultStopTimeout)
	return r
}

// call runs one CLI command under timeout and returns stdout, or an error
// already translated into runtime's sentinels.
func (r *Runtime) call(ctx context.Context, timeout time.Duration, args ...string) ([]byte, error) {
	return r.Backend.Call(ctx, timeout, translate, args...)
}

// translate maps CLI failures onto runtime's errors. The CLI exits 1 for
// every failure, so whether a container exists or is gone is never read
// from its wording (which changed between versions): callers take a second
// look with `list` (see present). Only a stopped service is told by its
// text, to tell the operator to start it; it decides nothing.
func translate(e *CommandError) error {
	s := e.Stderr
	if strings.Contains(s, "XPC connection error") || strings.Contains(s, "apiserver is not running") {
		return fmt.Errorf("%w: runtime not started: run `container system start`: %w", runtime.ErrUnavailable, e)
	}
	return e
}

// present reports whether a container has the name, from `list --all`, the
// one answer every version gives the same way (inspect of a missing
// container exits 0 before 1.0).
func (r *Runtime) present(ctx context.Context, name string) (bool, error) {
	list, err := r.List(ctx)
	if err != nil {
		return false, err
	}
	for _, in := range list {
		if in.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// settle decides a failed stop or delete by a second look: if the container
// is gone the call did what was asked; otherwise its error stands.
func (r *Runtime) settle(ctx context.Context, name string, err error) error {
	if err == nil || errors.Is(err, runtime.ErrUnavailable) {
		return err
	}
	if there, lerr := r.present(context.WithoutCancel(ctx), name); lerr == nil && !there {
		return nil
	}
	return err
}

// Run launches spec as "<prefix><uid>" with `container run --detach`.
func (r *Runtime) Run(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
	if err := spec.Check(); err != nil {
		return "", err
	}
	name := runtime.Name(r.Prefix, spec.UID)
	if len(name) > MaxNameLen || !namePattern.MatchString(name) {
		return "", fmt.Errorf("%w: name %q: must match %s and be at most %d characters",
			runtime.ErrInvalid, name, namePattern, MaxNameLen)
	}
	v, err := r.detectVersion(ctx)
	if err != nil {
		return "", err
	}
	out, err := r.CallEnv(ctx, r.RunTimeout, translate, spec.Env, func(envFlags []string) []string {
		return runArgs(name, spec, v, envFlags)
	})
	if err != nil {
		// A taken name is told by a second look, not by the message.
		var ce *CommandError
		if errors.As(err, &ce) {
			if there, lerr := r.present(context.WithoutCancel(ctx), name); lerr == nil && there {
				return "", fmt.Errorf("%w: %w", runtime.ErrExists, err)
			}
		}
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if id == "" {
		id = name // the id equals the name
	}
	return runtime.InstanceID(id), nil
}

// runArgs builds `run`: every option before the image, since everything after
// the image goes to the container. envFlags name the env keys; their values
// never reach argv.
func runArgs(name string, spec runtime.RunSpec, v *semver, envFlags []string) []string {
	args := []string{"run", "--detach", "--name", name}
	labels := spec.AllLabels()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		args = append(args, "--label", k+"="+labels[k])
	}
	args = append(args, envFlags...)
	if spec.CPUs > 0 {
		args = append(args, "--cpus", strconv.Itoa(int(math.Ceil(spec.CPUs)))) // the CLI takes whole CPUs
	}
	if spec.Memory > 0 {
		const mib = 1 << 20 // the CLI's granularity
		args = append(args, "--memory", strconv.FormatInt((spec.Memory+mib-1)/mib, 10)+"M")
	}
	if v.less(semver{0, 7, 0}) {
		args = append(args, "--disable-progress-updates") // renamed --progress in 0.7
	} else {
		args = append(args, "--progress", "none")
	}
	args = append(args, spec.Image)
	return append(args, spec.Command...)
}

// Stop stops uid's container. A missing one is not an error, whatever the
// version's wording (up to 0.10 it exits 0 silently; from 0.11 it fails).
func (r *Runtime) Stop(ctx context.Context, uid string) error {
	secs := strconv.Itoa(int(max(r.StopTimeout, time.Second) / time.Second))
	name := runtime.Name(r.Prefix, uid)
	_, err := r.call(ctx, r.CallTimeout+r.StopTimeout, "stop", "-t", secs, name)
	return r.settle(ctx, name, err)
}

// Remove deletes uid's container, forcing a running one. A missing one is not an error.
func (r *Runtime) Remove(ctx context.Context, uid string) error {
	name := runtime.Name(r.Prefix, uid)
	_, err := r.call(ctx, r.CallTimeout+r.StopTimeout, "delete", "--force", name)
	return r.settle(ctx, name, err)
}

// RemoveInstance deletes the container with id (the CLI's id is its name),
// forcing a running one. A missing one is not an error.
func (r *Runtime) RemoveInstance(ctx context.Context, id runtime.InstanceID) error {
	name := string(id)
	if err := id.Check(); err != nil {
		return err
	}
	_, err := r.call(ctx, r.CallTimeout+r.StopTimeout, "delete", "--force", name)
	return r.settle(ctx, name, err)
}

// List returns our containers, from `container list --all --format json`:
// those under our prefix and, with StoreID set, those labelled with this
// store under any name (the labels are in the same output).
func (r *Runtime) List(ctx context.Context) ([]runtime.Instance, error) {
	out, err := r.call(ctx, r.CallTimeout, "list", "--all", "--format", "json")
	if err != nil {
		return nil, err
	}
	return ParseListStore(out, r.Prefix, r.StoreID)
}

// Version returns the CLI's version, "unknown" for builds that print none.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	out, err := r.call(ctx, r.CallTimeout, "--version")
	if err != nil {
		return "", err
	}
	v := parseVersion(string(out))
	r.mu.Lock()
	r.version = &v
	r.mu.Unlock()
	return v.String(), nil
}

func (r *Runtime) detectVersion(ctx context.Context) (*semver, error) {
	r.mu.Lock()
	v := r.version
	r.mu.Unlock()
	if v != nil {
		return v, nil
	}
	if _, err := r.Version(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version, nil
}
