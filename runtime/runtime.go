// Package runtime declares the seam between the supervisor and a container
// runtime: the Runtime interface, its value types and its errors. It runs
// nothing itself; backends live in subpackages (apple, podman, docker, fake) and
// import this package, never the reverse.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/veloslet/veloslet/spec"
)

// Runtime errors. Backends translate their CLI's failures into these.
var (
	// ErrNotFound is returned when no container has the name.
	ErrNotFound = errors.New("container not found")
	// ErrExists is returned by Run when a container with the name exists.
	ErrExists = errors.New("container name already in use")
	// ErrInvalid is returned by Run for a spec a CLI could misread, such as
	// an image that starts with '-'.
	ErrInvalid = errors.New("invalid run spec")
	// ErrUnavailable is returned when the runtime's service is not running.
	ErrUnavailable = errors.New("container runtime unavailable")
)

// Labels every instance carries.
const (
	LabelUID        = "velos.uid"
	LabelGeneration = "velos.generation"
	LabelSpecHash   = "velos.spec-hash"
	LabelStore      = "velos.store"
)

// DefaultNamePrefix starts every runtime name: "<prefix><uid>".
const DefaultNamePrefix = "velos-"

// State is a container's state as the runtime reports it.
type State string

// Container states.
const (
	StateRunning State = "running"
	StateExited  State = "exited"
	StateUnknown State = "unknown"
)

// InstanceID is the runtime's own id for a container.
type InstanceID string

// Check refuses an id a CLI would read as a flag, or an empty one.
func (id InstanceID) Check() error {
	if id == "" || strings.HasPrefix(string(id), "-") || strings.ContainsRune(string(id), 0) {
		return fmt.Errorf("%w: instance id %q: must be non-empty and not start with '-'", ErrInvalid, id)
	}
	return nil
}

// RunSpec is what the runtime needs to launch one instance: the spec's
// Container (image, command, ports, volumes, … as package spec defines them;
// zero values mean the runtime's default) and the identity veloslet labels
// it with. A backend reads the fields straight from the embedded Container,
// so a field added to the spec reaches every backend without a copy here.
type RunSpec struct {
	UID string
	spec.Container
	Generation int64
	SpecHash   string
	StoreID    string
}

// NewRunSpec returns the RunSpec of s, the one place a spec becomes one.
func NewRunSpec(s *spec.Spec, storeID string) RunSpec {
	return RunSpec{UID: s.UID, Container: s.Container, Generation: s.Generation, SpecHash: s.SpecHash, StoreID: storeID}
}

// AllLabels returns the user's labels plus veloslet's own.
func (s RunSpec) AllLabels() map[string]string {
	out := make(map[string]string, len(s.Labels)+4)
	for k, v := range s.Labels {
		out[k] = v
	}
	out[LabelUID] = s.UID
	out[LabelGeneration] = strconv.FormatInt(s.Generation, 10)
	out[LabelSpecHash] = s.SpecHash
	out[LabelStore] = s.StoreID
	return out
}

// Check refuses values that a CLI would read as flags or cannot carry.
// Returns an error wrapping ErrInvalid that names the field.
func (s RunSpec) Check() error {
	bad := func(field, value, why string) error {
		return fmt.Errorf("%w: %s %q: %s", ErrInvalid, field, value, why)
	}
	switch {
	case s.UID == "" || strings.HasPrefix(s.UID, "-"):
		return bad("uid", s.UID, "must be non-empty and not start with '-'")
	case s.Image == "" || strings.HasPrefix(s.Image, "-"):
		return bad("image", s.Image, "must be non-empty and not start with '-'")
	}
	for _, v := range append([]string{s.UID, s.Image}, s.Command...) {
		if strings.ContainsRune(v, 0) {
			return bad("argument", v, "contains a NUL byte")
		}
	}
	if err := s.checkRun(); err != nil {
		return err
	}
	for k, v := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return bad("env key", k, "must be non-empty, without '=' or NUL (value not shown)")
		}
	}
	for k, v := range s.AllLabels() {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsAny(v, "\x00\n") {
			return bad("label", k, "key must be non-empty without '='; no NUL or line break")
		}
	}
	return nil
}

// Instance is one container of ours as the runtime lists it.
type Instance struct {
	UID       string
	ID        InstanceID
	Name      string
	State     State
	ExitCode  *int // nil when the runtime cannot tell (Apple's CLI never does)
	Labels    map[string]string
	StartedAt time.Time // zero when unknown
	// Renamed is set when the name is not "<prefix><uid>": the instance was
	// listed by its store label (a changed prefix, a renamed container).
	// Removing it must go by id.
	Renamed bool
	// ServiceRestarted is set on an exited instance that the runtime's own
	// service stopped or lost (Apple's apiserver restarted): its exit is no
	// failure, and it must be removed and run again, never started in place,
	// which could run a second copy beside a VM still running.
	ServiceRestarted bool
}

// StoreID returns the velos.store label: the store that launched it.
func (i Instance) StoreID() string { return i.Labels[LabelStore] }

// Generation returns the velos.generation label, or 0 when absent or unreadable.
func (i Instance) Generation() int64 {
	g, err := strconv.ParseInt(i.Labels[LabelGeneration], 10, 64)
	if err != nil {
		return 0
	}
	return g
}

// SpecHash returns the velos.spec-hash label, or "" when absent.
func (i Instance) SpecHash() string { return i.Labels[LabelSpecHash] }

// UIDLister is implemented by runtimes that can list one uid's container
// without listing them all: a pass asked for a few uids plans from it.
type UIDLister interface {
	// ListUID lists the container named "<prefix><uid>", as List shows it;
	// empty when there is none. An instance of uid under another name is
	// List's alone.
	ListUID(ctx context.Context, uid string) ([]Instance, error)
}

// Options configure a backend, as the [runtime] config gives them. A zero
// field keeps the backend's default.
type Options struct {
	NamePrefix string // "<prefix><uid>" names each container; DefaultNamePrefix
	// StoreID is this store's id: List also returns the containers labelled
	// velos.store=StoreID whatever their name. Empty: by prefix only.
	StoreID     string
	Binary      string        // the CLI a CLI backend runs
	CallTimeout time.Duration // every call but run
	RunTimeout  time.Duration // run, which may pull an image
	StopTimeout time.Duration // grace before SIGKILL when a spec sets none
}

// Runtime launches, stops, removes and lists containers. Every method runs
// under ctx's deadline. Implementations are safe for concurrent use.
type Runtime interface {
	// Run launches spec under the name "<prefix><uid>", labelled with
	// spec.AllLabels. Returns ErrExists if the name is taken, ErrInvalid for a
	// spec the CLI could misread, ErrUnavailable if the runtime is down.
	Run(ctx context.Context, spec RunSpec) (InstanceID, error)
	// Stop stops uid's container. No error if it is gone or already stopped.
	Stop(ctx context.Context, uid string) error
	// Remove removes uid's container, stopping it first if it runs. No error
	// if it is gone.
	Remove(ctx context.Context, uid string) error
	// RemoveInstance removes the container with runtime id id, whatever its
	// name, stopping it first if it runs. No error if it is gone. It is how
	// an instance listed under another name (an old prefix, a renamed
	// container) is removed.
	RemoveInstance(ctx context.Context, id InstanceID) error
	// List returns the containers whose name has our prefix and those
	// carrying this store's velos.store label whatever their name (the
	// backend's StoreID; none when it is empty). An instance listed by its
	// label only has its uid from the velos.uid label and Renamed set.
	// Returns ErrUnavailable if the runtime is down.
	List(ctx context.Context) ([]Instance, error)
	// Version returns the runtime's version string.
	Version(ctx context.Context) (string, error)
}

// LogOptions bound what Logs writes.
type LogOptions struct {
	Tail   int  // the last Tail lines; 0: all the runtime kept
	Follow bool // keep writing until ctx ends or the container stops
	// Until, when set, leaves out what was written at or after it, before
	// the tail is taken: Tail counts the lines written before Until. Only an
	// UntilLogger honours it, and not with Follow; other Loggers ignore it.
	Until time.Time
	// Since, when set, leaves out what was written before it: the output of
	// earlier runs of a container started again in place. Podman and Docker
	// honour it; Loggers that cannot tell ignore it.
	Since time.Time
	// Timestamps starts each line with the time the runtime stamped it
	// (RFC 3339, then a space). Podman and Docker honour it; Apple's CLI
	// and the fake keep no times and ignore it (the CLI refuses the flag
	// for them rather than print lines without).
	Timestamps bool
}

// Logger is implemented by runtimes that keep a container's output.
type Logger interface {
	// Logs writes the output of container id (stdout and stderr, interleaved
	// as the runtime keeps them) to w. Returns ErrNotFound if it is gone.
	Logs(ctx context.Context, id InstanceID, opts LogOptions, w io.Writer) error
}

// UntilLogger is implemented by runtimes whose start in place keeps what
// the container wrote before and whose Logs may honour LogOptions.Until:
// an exited instance's output can then be read after it is started again,
// instead of before.
type UntilLogger interface {
	Logger
	Starter
	// LogsUntil reports whether Logs honours Until by the supervisor's
	// clock: the runtime runs its containers on the supervisor's host.
	LogsUntil(ctx context.Context) bool
}

// Starter is implemented by runtimes that can start an exited container
// again in place, keeping its id and labels; its output is kept only by
// some (an UntilLogger's is; Apple's start erases it).
type Starter interface {
	// Start starts the exited container id. Returns ErrNotFound if it is gone.
	Start(ctx context.Context, id InstanceID) error
}

// EventKind names a runtime event.
type EventKind string

// Runtime event kinds.
const EventDied EventKind = "died"

// Event is one event streamed by a Watcher.
type Event struct {
	Kind     EventKind
	UID      string
	ExitCode *int
	// At is when the runtime wrote the event, by the host's clock; zero
	// when the event does not say.
	At time.Time
	// Instance, when set, is the dead instance as the event shows it: its
	// id, name, labels and exit code, in state exited. A death's pass may
	// plan from it instead of looking at the container again, when nothing
	// newer than the event is known of the instance (see the supervisor's
	// deathSeen).
	Instance *Instance
}

// Watcher is implemented by runtimes that stream container events.
type Watcher interface {
	// Watch sends events to ch until ctx ends or the stream fails. It returns
	// the stream's error; callers restart it. It does not close ch.
	Watch(ctx context.Context, ch chan<- Event) error
}

// Name returns the runtime name of uid under prefix.
func Name(prefix, uid string) string { return prefix + uid }

// Listed decides whether a container named name with labels belongs in List
// for a backend with prefix and storeID, and under which uid: by name when it
// has the prefix, else by the velos.uid label when it carries storeID's
// velos.store label. renamed is true in the second case.
func Listed(prefix, storeID, name string, labels map[string]string) (uid string, renamed, ok bool) {
	if uid, ok := UIDFromName(prefix, name); ok {
		return uid, false, true
	}
	if storeID == "" || labels[LabelStore] != storeID || labels[LabelUID] == "" {
		return "", false, false
	}
	return labels[LabelUID], true, true
}

// UIDFromName returns the uid in a runtime name, and whether it has the prefix.
func UIDFromName(prefix, name string) (string, bool) {
	uid, ok := strings.CutPrefix(strings.TrimPrefix(name, "/"), prefix)
	return uid, ok && uid != ""
}

// ExecOutputMax bounds what an exec's output a caller should keep: a
// probe's last words, not a log.
const ExecOutputMax = 4 << 10

// Execer is implemented by runtimes that can run a command inside a
// running container: an exec health probe.
type Execer interface {
	// Exec runs cmd (argv, no shell) inside uid's running container under
	// ctx's deadline, writing its stdout and stderr to out as they come,
	// and returns its exit code. The caller bounds out (ExecOutputMax).
	// Returns ErrNotFound if uid has no container, ErrNotRunning if it is
	// not running, ErrInvalid for an empty cmd, and ctx's error (no code)
	// when ctx ends first: a command that hangs is cut by the deadline.
	Exec(ctx context.Context, uid string, cmd []string, out io.Writer) (exitCode int, err error)
}

// ErrNotRunning is returned by Exec for a container that is not running.
var ErrNotRunning = errors.New("container not running")

// CheckExec refuses an exec's argv that is empty, or holds a NUL byte.
func CheckExec(uid string, cmd []string) error {
	if uid == "" || strings.HasPrefix(uid, "-") {
		return fmt.Errorf("%w: uid %q: must be non-empty and not start with '-'", ErrInvalid, uid)
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return fmt.Errorf("%w: exec command %q: must name a program", ErrInvalid, cmd)
	}
	for _, a := range cmd {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("%w: exec argument %q: contains a NUL byte", ErrInvalid, a)
		}
	}
	return nil
}
