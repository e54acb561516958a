// Package fake is a working in-memory container runtime for tests and the
// demo. It keeps containers in a mutex-guarded map, optionally mirrored to a
// JSON state file under a file lock so that separate processes share one fake
// "host". Optional XxxFunc fields override one method for fault injection;
// when nil, the normal behaviour runs. It never runs a process.
package fake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Runtime = (*Runtime)(nil)

// MissingRegistry is a registry host (reserved by RFC 2606) whose images the
// fake cannot pull: Run fails for them, as a real runtime does for a typo.
const MissingRegistry = "missing.invalid/"

// Container is one simulated container, including ones that are not ours.
type Container struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Image     string            `json:"image"`
	Command   []string          `json:"command,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	State     runtime.State     `json:"state"`
	ExitCode  *int              `json:"exit_code,omitempty"`
	StartedAt time.Time         `json:"started_at"`
	Output    []string          `json:"output,omitempty"` // lines printed (see Print)
	// Exec is what an exec in it answers until it starts again (SetExec);
	// nil: what a busybox would.
	Exec *ExecResult `json:"exec,omitempty"`
}

func (c Container) clone() Container {
	c.Command = slices.Clone(c.Command)
	c.Env = maps.Clone(c.Env)
	c.Labels = maps.Clone(c.Labels)
	c.Output = slices.Clone(c.Output)
	if c.ExitCode != nil {
		code := *c.ExitCode
		c.ExitCode = &code
	}
	if c.Exec != nil {
		res := *c.Exec
		c.Exec = &res
	}
	return c
}

// state is what a fake host holds; it is what the state file stores.
type state struct {
	NextID     int                  `json:"next_id"`
	Containers map[string]Container `json:"containers"` // by name
	Faults     Faults               `json:"faults,omitzero"`

	// sorted is Containers in name order, kept between calls that change
	// nothing: a pass over 100,000 containers then reads one array instead
	// of sorting and probing the map. Nil when stale.
	sorted []Container
	// changes are what the update in progress changed, for the journal.
	changes []change
}

func (st *state) inOrder() []Container {
	if st.sorted == nil {
		st.sorted = make([]Container, 0, len(st.Containers))
		for _, name := range slices.Sorted(maps.Keys(st.Containers)) {
			st.sorted = append(st.sorted, st.Containers[name])
		}
	}
	return st.sorted
}

// backend is the shared state behind a Runtime and its Real view.
type backend struct {
	mu    sync.Mutex
	st    state
	path  string     // state file; empty for memory only
	files files      // what this process has read of the state files
	rng   *rand.Rand // draws faults; seeded from st.Faults
}

// Runtime is the fake runtime. The zero value is not usable; call New or Open.
type Runtime struct {
	// Prefix starts every runtime name; List shows the names with it.
	Prefix string
	// StoreID, when set, makes List also show the containers labelled
	// velos.store=StoreID whatever their name.
	StoreID string
	// Latency is added to every call, honouring ctx, to simulate a slow CLI.
	Latency time.Duration
	// Now returns the time recorded as StartedAt.
	Now func() time.Time

	// Overrides for fault injection. Call r.Real() inside one to reach the
	// normal behaviour.
	RunFunc    func(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error)
	StopFunc   func(ctx context.Context, uid string) error
	RemoveFunc func(ctx context.Context, uid string) error
	StartFunc  func(ctx context.Context, id runtime.InstanceID) error
	// RemoveInstanceFunc overrides RemoveInstance.
	RemoveInstanceFunc func(ctx context.Context, id runtime.InstanceID) error
	ListFunc           func(ctx context.Context) ([]runtime.Instance, error)
	VersionFunc        func(ctx context.Context) (string, error)
	ExecFunc           func(ctx context.Context, uid string, cmd []string, out io.Writer) (int, error)

	b *backend
}

// New returns an empty in-memory fake.
func New() *Runtime {
	return &Runtime{
		Prefix: runtime.DefaultNamePrefix, Now: time.Now,
		b: &backend{st: state{Containers: map[string]Container{}}},
	}
}

// Open returns a fake whose state lives in the JSON file at path (created if
// missing), shared with every other process that opens the same path.
func Open(path string) (*Runtime, error) {
	r := New()
	r.b.path = path
	err := r.b.update(func(*state) error {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return r.b.compact() // the file exists from the first call on
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Real returns a view of the same host without the overrides.
func (r *Runtime) Real() *Runtime {
	return &Runtime{Prefix: r.Prefix, StoreID: r.StoreID, Latency: r.Latency, Now: r.Now, b: r.b}
}

func (r *Runtime) wait(ctx context.Context) error {
	if r.Latency <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(r.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run launches a simulated container, running at once.
func (r *Runtime) Run(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
	if r.RunFunc != nil {
		return r.RunFunc(ctx, spec)
	}
	var id runtime.InstanceID
	err := r.call(ctx, "run", func() (err error) {
		if strings.HasPrefix(spec.Image, MissingRegistry) && spec.Check() == nil {
			runtime.PullStarted(ctx, spec.Image) // the host lacks it: a pull is tried
		}
		id, err = r.run(spec)
		return err
	})
	return id, err
}

func (r *Runtime) run(spec runtime.RunSpec) (runtime.InstanceID, error) {
	if err := spec.Check(); err != nil {
		return "", err
	}
	if strings.HasPrefix(spec.Image, MissingRegistry) {
		return "", fmt.Errorf("pull %s: manifest unknown: image not found (simulated)", spec.Image)
	}
	name := runtime.Name(r.Prefix, spec.UID)
	var id string
	err := r.b.update(func(st *state) error {
		if _, ok := st.Containers[name]; ok {
			return fmt.Errorf("run %s: %w", name, runtime.ErrExists)
		}
		st.NextID++
		id = fmt.Sprintf("fake-%06d", st.NextID)
		st.put(Container{
			ID: id, Name: name, Image: spec.Image, Command: slices.Clone(spec.Command),
			Env: maps.Clone(spec.Env), Labels: spec.AllLabels(), State: runtime.StateRunning,
			StartedAt: r.Now().UTC(), Output: startOutput(spec.Command),
		})
		return nil
	})
	return runtime.InstanceID(id), err
}

// Stop marks uid's container exited with code 143, as SIGTERM would. No
// error if it is gone or already stopped.
func (r *Runtime) Stop(ctx context.Context, uid string) error {
	if r.StopFunc != nil {
		return r.StopFunc(ctx, uid)
	}
	return r.call(ctx, "stop", func() error {
		return r.b.update(func(st *state) error {
			c, ok := st.Containers[runtime.Name(r.Prefix, uid)]
			if ok && c.State == runtime.StateRunning {
				setExited(&c, 143)
				st.put(c)
			}
			return nil
		})
	})
}

// Remove deletes uid's container, running or not. No error if it is gone.
func (r *Runtime) Remove(ctx context.Context, uid string) error {
	if r.RemoveFunc != nil {
		return r.RemoveFunc(ctx, uid)
	}
	return r.call(ctx, "remove", func() error {
		return r.b.update(func(st *state) error {
			st.remove(runtime.Name(r.Prefix, uid))
			return nil
		})
	})
}

// RemoveInstance deletes the container with id whatever its name, running
// or not. No error if it is gone.
func (r *Runtime) RemoveInstance(ctx context.Context, id runtime.InstanceID) error {
	if r.RemoveInstanceFunc != nil {
		return r.RemoveInstanceFunc(ctx, id)
	}
	if err := id.Check(); err != nil {
		return err
	}
	return r.call(ctx, "remove", func() error {
		return r.b.update(func(st *state) error {
			for _, c := range st.inOrder() {
				if c.ID == string(id) {
					st.remove(c.Name)
					break
				}
			}
			return nil
		})
	})
}

// Rename gives the container named from the name to, as `podman rename`
// does: its id and labels stay. Returns runtime.ErrNotFound or ErrExists.
func (r *Runtime) Rename(from, to string) error {
	return r.b.update(func(st *state) error {
		c, ok := st.Containers[from]
		if !ok {
			return fmt.Errorf("rename %s: %w", from, runtime.ErrNotFound)
		}
		if _, ok := st.Containers[to]; ok {
			return fmt.Errorf("rename %s to %s: %w", from, to, runtime.ErrExists)
		}
		st.remove(from)
		c.Name = to
		st.put(c)
		return nil
	})
}

// List returns the containers whose name has the prefix, and those labelled
// with StoreID whatever their name, ordered by name.
func (r *Runtime) List(ctx context.Context) ([]runtime.Instance, error) {
	if r.ListFunc != nil {
		return r.ListFunc(ctx)
	}
	var out []runtime.Instance
	err := r.call(ctx, "list", func() error {
		return r.b.view(func(st *state) {
			out = make([]runtime.Instance, 0, len(st.Containers))
			for _, c := range st.inOrder() {
				uid, renamed, ok := runtime.Listed(r.Prefix, r.StoreID, c.Name, c.Labels)
				if !ok {
					continue
				}
				in := runtime.Instance{
					UID: uid, ID: runtime.InstanceID(c.ID), Name: c.Name, State: c.State,
					Labels: maps.Clone(c.Labels), StartedAt: c.StartedAt, Renamed: renamed,
				}
				if c.ExitCode != nil {
					code := *c.ExitCode
					in.ExitCode = &code
				}
				out = append(out, in)
			}
		})
	})
	if errors.Is(err, errEmpty) {
		return []runtime.Instance{}, nil
	}
	return out, err
}

// Version returns a fixed version string.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	if r.VersionFunc != nil {
		return r.VersionFunc(ctx)
	}
	return "fake 1.0 (simulated)", r.call(ctx, "version", func() error { return nil })
}
