// Package podmantest prepares real podman for tests: the sandbox settings
// (a containers.conf for root in a restricted CI sandbox, kept here with the
// tests and out of the backend), a local busybox image made with `podman
// import` so no test needs a registry, the harness for the contract, and the
// sweep of containers left by test runs that died (sweep.go).
package podmantest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Image is the local image the tests run.
const Image = "localhost/veloslet-busybox:test"

// VolumeImage is Image declaring VOLUME /data, as a database's image does.
const VolumeImage = "localhost/veloslet-busybox-vol:test"

// containersConf makes podman work as root under cgroup v1 with tight
// rlimits and no network, as on the CI machines.
const containersConf = `[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`

// runConf is added under [containers] (TOML allows no second table of the
// same name): every container carries this run's RunLabel.
func runConf() string {
	return strings.Replace(containersConf, "[containers]\n",
		"[containers]\nannotations = [\""+RunLabel+"="+testtool.RunID()+"\"]\n", 1)
}

// ExitCommand runs until `podman exec` writes a code to /tmp/exit, then
// exits with it: how a test makes a container's process end with a code.
// It blocks reading a FIFO rather than polling a file: a loop that starts a
// sleep twenty times a second costs a tenth of a core per container, which
// on a 2-core machine running tests side by side slows everything down.
// (Should the code be written before the FIFO exists, it lands in a plain
// file, which the read finds just the same.)
var ExitCommand = []string{"sh", "-c", `[ -e /tmp/exit ] || busybox mkfifo /tmp/exit 2>/dev/null; read code < /tmp/exit; exit "$code"`}

// confDirPrefix names the folders of each test process's config (and the
// image's rootfs while it is made): testtool.RunDir's.
const confDirPrefix = "podmantest-"

var (
	setupOnce sync.Once
	confPath  string
	setupErr  error
)

// Env returns the environment podman needs here, preparing it once: the
// config file and the busybox image. It skips the test when podman or
// busybox is missing (a failure under VELOSLET_REQUIRE_TOOLS=1).
func Env(tb testing.TB) []string {
	tb.Helper()
	testtool.Need(tb, "podman")
	busybox := testtool.Need(tb, "busybox")
	setupOnce.Do(func() { setupErr = setup(busybox) })
	if setupErr != nil {
		tb.Fatalf("prepare podman: %v", setupErr)
	}
	return []string{"CONTAINERS_CONF=" + confPath}
}

func setup(busybox string) error {
	dir, err := testtool.RunDir(confDirPrefix)
	if err != nil {
		return err
	}
	confPath = filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(confPath, []byte(runConf()), 0o600); err != nil {
		return err
	}
	env := append(os.Environ(), "CONTAINERS_CONF="+confPath)
	// Best effort: a sweep that fails leaves stale containers, never a test
	// failing for them.
	if n, err := sweep([]string{"CONTAINERS_CONF=" + confPath}); err != nil {
		fmt.Fprintf(os.Stderr, "podmantest: sweep containers of dead test runs: %v (%d removed)\n", err, n)
	} else {
		// Their containers gone, dead runs' configs have no reader left
		// (conmon hands CONTAINERS_CONF to a container's exit handler).
		testtool.SweepRunDirs(confDirPrefix)
	}
	if exec.Command("podman", "image", "exists", Image).Run() == nil &&
		exec.Command("podman", "image", "exists", VolumeImage).Run() == nil {
		return nil
	}
	// A busybox rootfs: the static binary and links for the applets we use.
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755); err != nil {
		return err
	}
	for _, applet := range []string{"sh", "sleep", "cat", "echo", "true", "false", "kill", "ls", "env"} {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", applet)); err != nil {
			return err
		}
	}
	tar := filepath.Join(dir, "busybox.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tar, ".").CombinedOutput(); err != nil {
		return &setupError{"tar", err, out}
	}
	for _, imp := range [][]string{
		{"--change", "ENV=PATH=/bin", tar, Image},
		{"--change", "ENV=PATH=/bin", "--change", "VOLUME=/data", tar, VolumeImage},
	} {
		cmd := exec.Command("podman", append([]string{"import"}, imp...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return &setupError{"podman import", err, out}
		}
	}
	return nil
}

type setupError struct {
	step string
	err  error
	out  []byte
}

func (e *setupError) Error() string { return e.step + ": " + e.err.Error() + ": " + string(e.out) }

// New returns a backend with a prefix of its own, so tests sharing the host
// never see each other's containers; they are all removed at cleanup.
func New(tb testing.TB) *podman.Runtime {
	tb.Helper()
	rt := podman.New("podman")
	rt.Env = Env(tb)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	rt.Prefix = "vt" + hex.EncodeToString(b) + "-"
	rt.StopTimeout = 0 // kill at once: ExitCommand ignores SIGTERM as PID 1
	tb.Cleanup(func() { RemoveAll(rt) })
	return rt
}

// RemoveAll removes every container with the backend's prefix (and, with
// its StoreID set, every one labelled with that store).
func RemoveAll(rt *podman.Runtime) {
	list, _ := rt.List(context.Background())
	for _, in := range list {
		_ = rt.RemoveInstance(context.Background(), in.ID)
	}
}

// Exit makes uid's container (running ExitCommand) exit with code.
func Exit(tb testing.TB, rt *podman.Runtime, uid string, code int) {
	tb.Helper()
	cmd := exec.Command(rt.Binary, "exec", rt.Prefix+uid, "sh", "-c", "echo "+strconv.Itoa(code)+" > /tmp/exit")
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.CombinedOutput()
	// 137: the write landed, the container's process read it and ended, and
	// the end of the container SIGKILLed the exec session before it
	// returned: the exit asked for, not a failure.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 137) {
		tb.Fatalf("make %s exit: %v: %s", uid, err, out)
	}
}

// Harness returns the contract harness over real podman.
func Harness(tb testing.TB) *runtimetest.Harness {
	tb.Helper()
	rt := New(tb)
	return &runtimetest.Harness{
		Runtime: rt, ReportsExitCodes: true, Image: Image, Command: ExitCommand, Settle: 30 * time.Second,
		Exit: func(tb testing.TB, uid string, code int) { tb.Helper(); Exit(tb, rt, uid, code) },
		Reopen: func(tb testing.TB, storeID string, newPrefix bool) runtime.Runtime {
			other := New(tb)
			if !newPrefix {
				other.Prefix = rt.Prefix
			}
			other.StoreID = storeID
			return other
		},
		Rename: func(tb testing.TB, id runtime.InstanceID, name string) { tb.Helper(); Rename(tb, rt, id, name) },
		Fields: Fields(rt),
	}
}

// Rename renames container id to name with `podman rename`.
func Rename(tb testing.TB, rt *podman.Runtime, id runtime.InstanceID, name string) {
	tb.Helper()
	cmd := exec.Command(rt.Binary, "rename", string(id), name)
	cmd.Env = append(os.Environ(), rt.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("podman rename %s %s: %v: %s", id, name, err, out)
	}
}
