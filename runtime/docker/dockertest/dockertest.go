// Package dockertest gives tests a real Docker Engine API server: by default
// podman's API service (`podman system service`) with the sandbox settings
// podmantest uses, one shared by a test process's tests (Shared, New) or
// one for a test of its own (Start); or, when HostEnv names one, that
// server (a dockerd started by the CI script). The busybox image is made
// locally, so no test needs a registry.
package dockertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// HostEnv, when set (to "unix:///…/docker.sock"), makes the tests use that
// API server instead of starting podman's.
const HostEnv = "VELOSLET_DOCKER_HOST"

// Image is the local image the tests run (the one podmantest makes).
const Image = podmantest.Image

// VolumeImage is Image declaring VOLUME /data.
const VolumeImage = podmantest.VolumeImage

// ExitCommand is podmantest's: it exits with the code Exit writes.
var ExitCommand = podmantest.ExitCommand

// sweepOnce sweeps HostEnv's server once per test process.
var sweepOnce sync.Once

// startTimeout bounds how long the API service may take to answer.
const startTimeout = 60 * time.Second

// Server is an API server for tests.
type Server struct {
	Host string   // unix:///…
	Env  []string // for the podman CLI beside it (empty for a dockerd)
	Pid  int      // the podman API service's process (0 for HostEnv's server)
	// Stop ends a service Start started (nil for HostEnv's server and for
	// the shared one, which ends with the process); cleanup calls it too.
	Stop func()

	exited <-chan struct{} // closed when the service has exited (nil for HostEnv's)
}

// Start returns the server for tb: HostEnv's, or a podman API service of
// its own, started on a fresh socket and stopped at cleanup (or killed with
// the process, where startGuarded can), for a test that stops the service
// or measures it (New shares one instead). It skips when podman is missing
// (a failure under VELOSLET_REQUIRE_TOOLS=1).
func Start(tb testing.TB) *Server {
	tb.Helper()
	if s := hostServer(tb); s != nil {
		return s
	}
	env := podmantest.Env(tb) // skips without podman; makes the image
	podmanBin := testtool.Need(tb, "podman")
	testtool.SweepRunDirs(ownDirPrefix)
	dir, err := testtool.RunDir(ownDirPrefix)
	if err != nil {
		tb.Fatal(err)
	}
	s, log, err := startGuarded(podmanBin, env, dir)
	tb.Cleanup(func() {
		if s != nil {
			s.Stop()
		}
		_ = os.RemoveAll(dir)
	})
	if err != nil {
		tb.Fatalf("podman system service: %v\n%s", err, log)
	}
	return s
}

// hostServer returns HostEnv's server, its containers of dead runs swept
// once, or nil when HostEnv is not set.
func hostServer(tb testing.TB) *Server {
	tb.Helper()
	h := os.Getenv(HostEnv)
	if h == "" {
		return nil
	}
	sweepOnce.Do(func() {
		// Best effort: stale containers never fail a test.
		if n, err := sweep(h); err != nil {
			tb.Logf("sweep containers of dead test runs on %s: %v (%d removed)", h, err, n)
		}
	})
	s := &Server{Host: h}
	s.ensureImage(tb)
	return s
}

// startService starts podman's API service on a socket in dir and waits
// until it answers; attr, when set, is the process's. On an error it
// returns the service's log.
func startService(podmanBin string, env []string, dir string, attr *syscall.SysProcAttr) (*Server, []byte, error) {
	sock := filepath.Join(dir, "podman.sock")
	logPath := filepath.Join(dir, "service.log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = log.Close() }() // the service holds its own descriptor
	cmd := exec.Command(podmanBin, "system", "service", "--time=0", "unix://"+sock)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = attr
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start: %w", err)
	}
	exited := &exit{done: make(chan struct{})}
	go func() { exited.err = cmd.Wait(); close(exited.done) }()
	var once sync.Once
	s := &Server{Host: "unix://" + sock, Env: env, Pid: cmd.Process.Pid, exited: exited.done,
		Stop: func() { once.Do(func() { stop(cmd, exited.done) }) }}
	if err := s.wait(exited); err != nil {
		s.Stop()
		out, _ := os.ReadFile(logPath)
		return nil, out, fmt.Errorf("on %s: %w", sock, err)
	}
	return s, nil, nil
}

// exit is the service's end: done closes when it has exited with err.
type exit struct {
	done chan struct{}
	err  error
}

// stop ends the service: SIGTERM, then SIGKILL after a grace. Containers it
// started live on under their conmon, as with any podman.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// wait polls the socket until the server answers a ping, the service exits
// or startTimeout passes.
func (s *Server) wait(exited *exit) error {
	rt, err := docker.New(s.Host)
	if err != nil {
		return err
	}
	defer func() { _ = rt.Close() }()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := rt.Ping(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited.done:
			return fmt.Errorf("the service exited: %v", exited.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %s: %w", startTimeout, err)
		}
	}
}

// New returns a backend with a prefix of its own on the server the test
// process shares (see Shared); its containers are removed at cleanup.
func New(tb testing.TB) (*docker.Runtime, *Server) {
	tb.Helper()
	s := Shared(tb)
	return s.Runtime(tb), s
}

// Runtime returns a backend on s with a prefix of its own; its containers
// are removed at cleanup.
func (s *Server) Runtime(tb testing.TB) *docker.Runtime {
	tb.Helper()
	rt, err := docker.New(s.Host)
	if err != nil {
		tb.Fatal(err)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	rt.Prefix = prefix(hex.EncodeToString(b))
	rt.StopTimeout = 0 // kill at once: ExitCommand ignores SIGTERM as PID 1
	tb.Cleanup(func() {
		RemoveAll(rt)
		_ = rt.Close()
	})
	return rt
}

// RemoveAll removes every container the backend lists.
func RemoveAll(rt *docker.Runtime) {
	list, _ := rt.List(context.Background())
	for _, in := range list {
		_ = rt.RemoveInstance(context.Background(), in.ID)
	}
}

// Exec runs cmd in container ref through the API and waits for it to end,
// returning its output.
func Exec(ctx context.Context, rt *docker.Runtime, ref string, cmd ...string) (string, error) {
	c, err := newClient(rt.Host())
	if err != nil {
		return "", err
	}
	defer func() { _ = c.Close() }()
	ex, err := c.ExecCreate(ctx, ref, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", err
	}
	att, err := c.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return "", err
	}
	defer att.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil && err != io.EOF {
		return out.String(), err
	}
	return out.String(), nil
}

// Exit makes uid's container (running ExitCommand) exit with code.
func Exit(tb testing.TB, rt *docker.Runtime, uid string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := Exec(ctx, rt, rt.Prefix+uid, "sh", "-c", "echo "+strconv.Itoa(code)+" > /tmp/exit"); err != nil {
		tb.Fatalf("make %s exit: %v: %s", uid, err, out)
	}
}

// Harness returns the contract harness over a real API server.
func Harness(tb testing.TB) *runtimetest.Harness {
	tb.Helper()
	rt, _ := New(tb)
	return &runtimetest.Harness{
		Runtime: rt, ReportsExitCodes: true, Image: Image, Command: ExitCommand, Settle: 30 * time.Second,
		Exit:   func(tb testing.TB, uid string, code int) { tb.Helper(); Exit(tb, rt, uid, code) },
		Fields: Fields(rt),
	}
}

// Client returns an API client of the test's own for rt's server, to act on
// containers as a user would; closed at cleanup. The backend keeps its
// client to itself.
func Client(tb testing.TB, rt *docker.Runtime) *client.Client {
	tb.Helper()
	c, err := newClient(rt.Host())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func newClient(host string) (*client.Client, error) {
	c, err := client.New(client.WithHost(host))
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", host, err)
	}
	return c, nil
}
