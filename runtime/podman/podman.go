// Package podman drives the Podman CLI (Linux, or macOS with a podman
// machine). It runs the configured binary with exec, never through a shell,
// each call under a deadline, and streams `podman events` for deaths.
package podman

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
	vspec "github.com/veloslet/veloslet/spec"
)

var (
	_ runtime.Runtime = (*Runtime)(nil)
	_ runtime.Watcher = (*Runtime)(nil)
)

// Defaults for Runtime's fields.
const (
	DefaultBinary      = "podman"
	DefaultCallTimeout = 30 * time.Second
	DefaultRunTimeout  = 5 * time.Minute
	DefaultStopTimeout = 10 * time.Second
)

// CommandError is a CLI call that failed: its arguments (env values
// redacted), exit code and trimmed stderr.
type CommandError = cli.Error

// Runtime is the Podman backend.
type Runtime struct {
	// Backend holds the binary, prefix, deadlines, env and StoreID; with
	// StoreID set, List also returns our labelled containers under any name
	// and Watch follows only containers labelled with this store.
	cli.Backend
	// LogMaxSize bounds each container's log file, in bytes (`--log-opt
	// max-size`: podman cuts the k8s-file log when it reaches it; journald
	// ignores it); 0: podman's default, no bound.
	LogMaxSize int64

	host host // see Local
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

// translate maps podman's failures onto runtime's errors. Nothing here
// decides what to run or remove: "exists" and "gone" are judged by exit
// codes (`container exists`, --ignore) and a second look, never by wording.
// Only an unreachable service (remote podman, a stopped machine) is told by
// its text, since podman gives it no code of its own; it is a label for the
// operator, not a decision.
func translate(e *cli.Error) error {
	s := e.Stderr
	if strings.Contains(s, "Cannot connect to Podman") || strings.Contains(s, "unable to connect to Podman") {
		return fmt.Errorf("%w: %w", runtime.ErrUnavailable, e)
	}
	return e
}

// exists reports whether a container has the name, from the exit code of
// `podman container exists` (documented: 0 yes, 1 no, anything else an error).
func (r *Runtime) exists(ctx context.Context, name string) (bool, error) {
	_, err := r.call(ctx, r.CallTimeout, "container", "exists", name)
	var ce *cli.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ce) && ce.ExitCode == 1:
		return false, nil
	}
	return false, err
}

// Run launches spec as "<prefix><uid>" with `podman run -d`. A taken name
// is found before running, by exit code, and returned as ErrExists. If the
// run fails and leaves a container (created, then unable to start: exit
// 126 or 127), that leftover is removed so the name is free for the next
// attempt, but only when it carries this launch's labels: a container that
// existed before the call is never removed here, whatever podman printed.
func (r *Runtime) Run(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
	if err := spec.Check(); err != nil {
		return "", err
	}
	name := runtime.Name(r.Prefix, spec.UID)
	taken, err := r.exists(ctx, name)
	if err != nil {
		return "", err
	}
	if taken {
		return "", fmt.Errorf("%w: podman: container name %q is already in use", runtime.ErrExists, name)
	}
	vols, err := r.imageVolumes(ctx, spec)
	if err != nil {
		return "", err
	}
	out, err := r.CallEnv(ctx, r.RunTimeout, translate, spec.Env, func(envFlags []string) []string {
		return runArgs(name, spec, runOptions{envFlags: envFlags, logMax: r.LogMaxSize, stop: r.StopTimeout, imageVolumes: vols})
	})
	if err != nil {
		return "", r.afterFailedRun(context.WithoutCancel(ctx), name, spec, err)
	}
	id := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(id, '\n'); i >= 0 {
		id = id[i+1:] // pull progress may precede the id
	}
	return runtime.InstanceID(id), nil
}

// afterFailedRun looks at what a failed run left under name: nothing (the
// error stands), a leftover with this launch's labels (removed), or a
// container someone else made meanwhile (ErrExists).
func (r *Runtime) afterFailedRun(ctx context.Context, name string, spec runtime.RunSpec, runErr error) error {
	out, err := r.call(ctx, r.CallTimeout, "ps", "--all", "--format", "json", "--filter", "name=^"+regexp.QuoteMeta(name)+"$")
	if err != nil {
		return runErr
	}
	list, err := ParsePS(out, r.Prefix)
	if err != nil {
		return runErr
	}
	want := spec.AllLabels()
	for _, in := range list {
		if in.Name != name {
			continue
		}
		if !labelsInclude(in.Labels, want) {
			return fmt.Errorf("%w: %w", runtime.ErrExists, runErr)
		}
		if _, rmErr := r.call(ctx, r.CallTimeout, "rm", "--force", "--ignore", "-t", "0", string(in.ID)); rmErr != nil {
			return fmt.Errorf("%w (and removing what it left: %v)", runErr, rmErr)
		}
	}
	return runErr
}

// labelsInclude reports whether got carries every label of want (podman adds
// the image's own labels).
func labelsInclude(got, want map[string]string) bool {
	for k, v := range want {
		if w, ok := got[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Stop stops uid's container with its own stop signal and grace (the
// spec's, set at run; see containerFlags), then SIGKILL. No error if it is
// gone.
func (r *Runtime) Stop(ctx context.Context, uid string) error {
	_, err := r.call(ctx, r.stopDeadline(), "stop", "--ignore", runtime.Name(r.Prefix, uid))
	return err
}

// Remove removes uid's container, stopping it first as Stop does. No error
// if it is gone. -v removes the anonymous volumes podman made for it (none
// when every volume the image declares has one of ours: those are named and
// stay; see imageVolumes), so nothing is left dangling.
func (r *Runtime) Remove(ctx context.Context, uid string) error {
	_, err := r.call(ctx, r.stopDeadline(), "rm", "--force", "--ignore", "--volumes", runtime.Name(r.Prefix, uid))
	return err
}

// RemoveInstance removes the container with id, whatever its name, as
// Remove does. No error if it is gone.
func (r *Runtime) RemoveInstance(ctx context.Context, id runtime.InstanceID) error {
	if err := id.Check(); err != nil {
		return err
	}
	_, err := r.call(ctx, r.stopDeadline(), "rm", "--force", "--ignore", "--volumes", "--", string(id))
	return err
}

// stopDeadline bounds a stop or remove: podman waits out the container's
// own grace, which a spec may set up to spec.MaxStopTimeout, and kills it
// then; the deadline is only the backstop for a podman that hangs.
func (r *Runtime) stopDeadline() time.Duration {
	return r.CallTimeout + max(r.StopTimeout, time.Duration(vspec.MaxStopTimeout))
}

// List returns the containers whose name has our prefix, whatever store
// launched them (the planner tells ours from foreign ones by label), and,
// with StoreID set, those labelled with this store under any name. Podman
// joins filters of different kinds with "and", so no one filter says "this
// prefix or this label": with StoreID set, List asks for every container
// and picks here. One call, not one per filter, because most of a `podman
// ps`'s cost is podman starting up (about 0.2 s of CPU whatever it lists),
// and the idle daemon's safety-net pass is this call.
func (r *Runtime) List(ctx context.Context) ([]runtime.Instance, error) {
	args := []string{"ps", "--all", "--format", "json"}
	if r.StoreID == "" {
		args = append(args, "--filter", "name=^"+regexp.QuoteMeta(r.Prefix))
	}
	out, err := r.call(ctx, r.CallTimeout, args...)
	if err != nil {
		return nil, err
	}
	return ParsePSStore(out, r.Prefix, r.StoreID)
}
