// Package docker drives a Docker Engine API server over its socket: Docker
// Engine, Docker Desktop, OrbStack, Colima, Rancher Desktop and Podman's own
// API service (`podman system service`). No process is spawned per call, and
// deaths arrive on the API's /events stream.
//
// It is built on github.com/moby/moby/client (v0.6, the Engine's client
// since it left github.com/docker/docker at Docker 29). The old
// github.com/docker/docker/client is not needed: the new module negotiates
// the API version down to its MinAPIVersion, 1.40, which covers podman 4.3's
// API service (1.41, what the tests run against), Debian's Docker Engine
// 20.10 (1.41) and every Docker Engine since 19.03; the old module is an
// "+incompatible" one without a go.mod, frozen at v28. Negotiation is on
// (the new client's default): the first call pings the server and uses the
// highest version both sides speak; until a ping succeeds every call tries
// again, so a server started after veloslet is picked up.
//
// Env values travel only in the create request's body: nothing here ever
// puts them on a command line.
package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

var (
	_ runtime.Runtime = (*Runtime)(nil)
	_ runtime.Watcher = (*Runtime)(nil)
	_ runtime.Logger  = (*Runtime)(nil)
	_ runtime.Starter = (*Runtime)(nil)
)

// Defaults for Runtime's fields.
const (
	DefaultCallTimeout = 30 * time.Second
	DefaultRunTimeout  = 5 * time.Minute
	DefaultStopTimeout = 10 * time.Second
)

// Runtime is the Docker Engine API backend. Its fields are set before first
// use and not changed after.
type Runtime struct {
	Prefix      string
	CallTimeout time.Duration // every call but run
	RunTimeout  time.Duration // run, which may pull an image
	StopTimeout time.Duration // grace before SIGKILL
	// StoreID, when set, widens List to containers carrying this store's
	// velos.store label whatever their name, and narrows Watch to them.
	StoreID string
	// Logger receives pull progress; nil: slog.Default().
	Logger *slog.Logger
	// LogMaxSize bounds each container's log file, in bytes, where the
	// server's log driver keeps one (logsize.go); 0: the server's default,
	// which for Docker's json-file is no bound at all.
	LogMaxSize int64

	driverMu    sync.Mutex
	driver      string // the server's default log driver
	driverKnown bool

	netMu sync.Mutex // serialises EnsureNetwork (network.go)

	host      string
	c         *client.Client
	transport *http.Transport // under c's, whose idle connections Close lets go
}

// New returns a backend for the API server at host ("unix:///…" or
// "tcp://…"). An empty host is read from the environment as the docker CLI
// does (DOCKER_HOST, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY), falling back to
// the platform's default socket. New does not connect.
func New(host string) (*Runtime, error) {
	opts := []client.Opt{client.FromEnv}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	// A first client is built only for its dialer, which knows the host's
	// scheme, address and TLS settings (from the environment too); the one
	// used goes through an HTTP client that bounds every answer (limits.go)
	// and checks a socket's owner at each dial (socket.go).
	d, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	hc, tr := newHTTPClient(checkedDial(d.DaemonHost(), d.Dialer()))
	c, err := client.New(append(opts, client.WithHTTPClient(hc))...)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	r := &Runtime{host: c.DaemonHost(), c: c, transport: tr}
	r.Prefix, r.CallTimeout, r.RunTimeout, r.StopTimeout = runtime.DefaultNamePrefix, DefaultCallTimeout, DefaultRunTimeout, DefaultStopTimeout
	return r, nil
}

// Configure applies the options the config gives; a zero field keeps what
// the backend has. Binary does not apply: the API has no binary.
func (r *Runtime) Configure(o runtime.Options) {
	if o.NamePrefix != "" {
		r.Prefix = o.NamePrefix
	}
	if o.StoreID != "" {
		r.StoreID = o.StoreID
	}
	for _, d := range []struct {
		dst *time.Duration
		v   time.Duration
	}{
		{&r.CallTimeout, o.CallTimeout}, {&r.RunTimeout, o.RunTimeout}, {&r.StopTimeout, o.StopTimeout}} {
		if d.v != 0 {
			*d.dst = d.v
		}
	}
}

// Host returns the API address the backend talks to.
func (r *Runtime) Host() string { return r.host }

// Close releases the client's idle connections.
func (r *Runtime) Close() error {
	r.transport.CloseIdleConnections()
	return r.c.Close()
}

func (r *Runtime) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// Ping reports whether the API server answers.
func (r *Runtime) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	_, err := r.c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	return r.translate(err, "ping")
}

// Run creates "<prefix><uid>" and starts it. A missing image is pulled
// first. A container that was created but did not start is removed (by the
// id the create returned, so nothing made by anyone else is touched).
func (r *Runtime) Run(ctx context.Context, spec runtime.RunSpec) (runtime.InstanceID, error) {
	if err := spec.Check(); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, r.RunTimeout)
	defer cancel()
	name := runtime.Name(r.Prefix, spec.UID)
	vols, err := r.imageVolumes(ctx, spec)
	if err != nil {
		return "", err
	}
	opts := createOptions(name, spec, r.StopTimeout, vols)
	opts.HostConfig.LogConfig = r.logConfig(ctx, spec)
	res, err := r.c.ContainerCreate(ctx, opts)
	if err != nil {
		return "", r.createFailed(ctx, name, err)
	}
	if _, err := r.c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		err = r.translate(err, "start "+name)
		rmCtx, rmCancel := context.WithTimeout(context.WithoutCancel(ctx), r.CallTimeout)
		defer rmCancel()
		if _, rmErr := r.c.ContainerRemove(rmCtx, res.ID, client.ContainerRemoveOptions{Force: true}); rmErr != nil && !isNotFound(rmErr) {
			return "", fmt.Errorf("%w (and removing what it left: %v)", err, rmErr)
		}
		return "", err
	}
	return runtime.InstanceID(res.ID), nil
}

// createFailed translates a refused create. A taken name is ErrExists
// whatever status the server chose (Docker answers 409, podman's service
// 500), told by a second look at the name rather than the message.
func (r *Runtime) createFailed(ctx context.Context, name string, err error) error {
	if cerrdefs.IsConflict(err) {
		return r.translate(err, "create "+name)
	}
	if unreachable(err) || ctx.Err() != nil {
		return r.translate(err, "create "+name)
	}
	if _, ierr := r.c.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); ierr == nil {
		return fmt.Errorf("%w: docker create %s: %w", runtime.ErrExists, name, err)
	}
	return r.translate(err, "create "+name)
}

// Start starts the exited container id again in place.
func (r *Runtime) Start(ctx context.Context, id runtime.InstanceID) error {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	_, err := r.c.ContainerStart(ctx, string(id), client.ContainerStartOptions{})
	return r.translate(err, "start "+string(id))
}

// Stop stops uid's container with its own stop signal and grace (the
// spec's, set at create; see containerConfig), then SIGKILL. No error if it
// is gone or already stopped.
func (r *Runtime) Stop(ctx context.Context, uid string) error {
	return r.stop(ctx, runtime.Name(r.Prefix, uid))
}

func (r *Runtime) stop(ctx context.Context, ref string) error {
	// The server waits out the container's grace, which a spec may set up
	// to spec.MaxStopTimeout, then kills it: the deadline is a backstop.
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout+max(r.StopTimeout, time.Duration(vspec.MaxStopTimeout)))
	defer cancel()
	_, err := r.c.ContainerStop(ctx, ref, client.ContainerStopOptions{})
	if isNotFound(err) {
		return nil
	}
	return r.translate(err, "stop "+ref)
}

// Remove removes uid's container, stopping it first with the configured
// grace. No error if it is gone.
func (r *Runtime) Remove(ctx context.Context, uid string) error {
	return r.remove(ctx, runtime.Name(r.Prefix, uid))
}

// RemoveInstance removes the container with the runtime id, whatever its
// name, stopping it first. No error if it is gone.
func (r *Runtime) RemoveInstance(ctx context.Context, id runtime.InstanceID) error {
	if err := id.Check(); err != nil {
		return err
	}
	return r.remove(ctx, string(id))
}

// remove stops ref with its grace (a forced remove would SIGKILL at once),
// then removes it with its anonymous volumes: the image's declared volumes
// are ours by name (see imageVolumes) and stay for the next container.
func (r *Runtime) remove(ctx context.Context, ref string) error {
	if err := r.stop(ctx, ref); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	_, err := r.c.ContainerRemove(ctx, ref, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if isNotFound(err) {
		return nil
	}
	return r.translate(err, "remove "+ref)
}

// Version returns the server's version and the API version in use.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	v, err := r.c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", r.translate(err, "version")
	}
	if v.Version == "" {
		return "", errors.New("docker version: the server sent no version")
	}
	name := "Docker Engine"
	if v.Platform.Name != "" {
		name = v.Platform.Name
	}
	return fmt.Sprintf("%s %s (API %s)", name, v.Version, r.c.ClientVersion()), nil
}
