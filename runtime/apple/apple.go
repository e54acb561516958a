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

	// Poll and PollMax pace Watch (see watch.go); zero means the defaults.
	Poll, PollMax time.Duration
	// StopSignal is the signal a stop sends first (`stop -s`), such as
	// "SIGTERM" or "SIGINT", for a container whose spec names none (a
	// spec's stop_signal and stop_timeout win: see stops.go); empty: the
	// CLI's default.
	StopSignal string
	// StartService makes a call that finds the container service down run
	// `container system start` (see service.go); KernelInstall is its
	// kernel choice, KernelInstallDisable (the default) or
	// KernelInstallEnable.
	StartService  bool
	KernelInstall string
	// Now is the clock of the service's back-off; nil: time.Now.
	Now func() time.Time

	svc service  // the container service's state (see service.go)
	rs  restarts // whether the service was seen down (see restart.go)

	ver   versionCache // the version launches use (see detect.go)
	stops stopPlans    // each container's grace and signal (see stops.go)
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
	return r.callService(ctx, func() ([]byte, error) { return r.Backend.Call(ctx, timeout, translate, args...) })
}

// translate maps CLI failures onto runtime's errors. The CLI exits 1 for
// every failure, so whether a container exists or is gone is not read from
// loose wording (which changed between versions): only the exact sentences
// of gone.go, naming the container, count, and anything else gets a second
// look with `list` (see settle). Only a stopped service is told by its
// text, to tell the operator to start it; it decides nothing. (Every call
// then fails with "XPC connection error"; "apiserver is not running" is
// printed only by `container system status`, on stdout, which veloslet
// does not call.)
func translate(e *CommandError) error {
	if strings.Contains(e.Stderr, "XPC connection error") {
		return fmt.Errorf("%w: runtime not started: run `container system start`: %w", runtime.ErrUnavailable, e)
	}
	return e
}

// present reports whether a container has the name, from `list --all`, the
// one answer every version gives the same way (inspect of a missing
// container exits 0 before 1.0).
func (r *Runtime) present(ctx context.Context, name string) (bool, error) {
	list, err := r.list(ctx)
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

// settle decides a failed stop or delete: the CLI's exact "no such
// container" for this name (gone.go), or else a second look: if the
// container is gone the call did what was asked; otherwise its error stands.
func (r *Runtime) settle(ctx context.Context, verb, name string, err error) error {
	if err == nil || errors.Is(err, runtime.ErrUnavailable) {
		return err
	}
	if ce := (*CommandError)(nil); errors.As(err, &ce) && gone(verb, name, ce) {
		return nil
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
	out, err := r.launch(ctx, name, spec)
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
	r.stops.set(name, stopPlan{timeout: time.Duration(spec.StopTimeout), signal: spec.StopSignal})
	id := strings.TrimSpace(string(out))
	if id == "" {
		id = name // the id equals the name
	}
	if v, verr := r.detectVersion(ctx); verr == nil && len(spec.Env) > 0 && v.less(envOverrideFixed) {
		if err := r.checkEnv(ctx, name, spec.Env, v); err != nil {
			// Nothing of it must run with a value the spec did not ask for.
			if rerr := r.remove(context.WithoutCancel(ctx), name); rerr != nil {
				return "", fmt.Errorf("%w (and its removal failed: %v)", err, rerr)
			}
			return "", err
		}
	}
	return runtime.InstanceID(id), nil
}

// launch runs `container run` with the arguments of the CLI's version. If
// the CLI refuses them as a usage error, it was changed under us: ask its
// version again and, if it differs, launch once more.
func (r *Runtime) launch(ctx context.Context, name string, spec runtime.RunSpec) ([]byte, error) {
	v, err := r.detectVersion(ctx)
	if err != nil {
		return nil, err
	}
	run := func(v *semver) ([]byte, error) {
		if err := supported(spec, v); err != nil {
			return nil, err
		}
		return r.CallEnv(ctx, r.RunTimeout, translate, spec.Env, func(envFlags []string) []string {
			return runArgs(name, spec, v, envFlags)
		})
	}
	out, err := run(v)
	if !usageError(err) {
		return out, err
	}
	r.ver.refused(v)
	w, verr := r.detectVersion(ctx)
	if verr != nil || *w == *v {
		return out, err
	}
	return run(w)
}

// runArgs builds `run`: every option before the image, since everything after
// the image goes to the container. envFlags name the env keys; their values
// never reach argv. The spec's later fields are in specArgs (flags.go).
func runArgs(name string, spec runtime.RunSpec, v *semver, envFlags []string) []string {
	args := []string{"run", "--detach", "--name", name}
	labels := spec.AllLabels()
	if spec.StopSignal != "" {
		labels[LabelStopSignal] = spec.StopSignal
	}
	if spec.StopTimeout > 0 {
		labels[LabelStopTimeout] = spec.StopTimeout.String()
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		args = append(args, "--label", k+"="+labels[k])
	}
	args = append(args, envFlags...)
	if spec.CPUs > 0 {
		args = append(args, "--cpus", strconv.Itoa(int(math.Ceil(spec.CPUs)))) // the CLI takes whole CPUs
	}
	if spec.Memory > 0 {
		const mib = 1 << 20 // the CLI's granularity
		args = append(args, "--memory", strconv.FormatInt(int64(spec.Memory+mib-1)/mib, 10)+"M")
	}
	args = append(args, specArgs(spec)...)
	if v.less(semver{0, 7, 0}) {
		args = append(args, "--disable-progress-updates") // renamed --progress in 0.7
	} else {
		args = append(args, "--progress", "none")
	}
	args = append(args, spec.Image)
	return append(args, tailArgs(spec)...)
}

// List returns our containers, from `container list --all --format json`:
// those under our prefix and, with StoreID set, those labelled with this
// store under any name (the labels are in the same output). A pass begins
// with List, so it also marks the CLI's version stale: the pass's first
// launch asks it again (see detect.go). It marks the instances an apiserver
// restart stopped (see restart.go).
func (r *Runtime) List(ctx context.Context) ([]runtime.Instance, error) {
	r.ver.newPass()
	list, err := r.list(ctx)
	if err == nil {
		r.markRestarted(ctx, list)
	}
	return list, err
}

// list is List without starting a new pass: the second looks and Watch.
func (r *Runtime) list(ctx context.Context) ([]runtime.Instance, error) {
	out, err := r.call(ctx, r.CallTimeout, "list", "--all", "--format", "json")
	if err != nil {
		return nil, err
	}
	list, err := ParseListStore(out, r.Prefix, r.StoreID)
	if err == nil {
		r.stops.observe(list)
	}
	return list, err
}

// Version returns the CLI's version, "unknown" for builds that print none.
// Launches use it until the next pass.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	v, err := r.askVersion(ctx)
	if err != nil {
		return "", err
	}
	return r.ver.set(v).String(), nil
}

// askVersion runs `container --version`.
func (r *Runtime) askVersion(ctx context.Context) (semver, error) {
	out, err := r.call(ctx, r.CallTimeout, "--version")
	if err != nil {
		return semver{}, err
	}
	return parseVersion(string(out)), nil
}
