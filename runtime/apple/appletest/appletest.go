// Package appletest builds the emulator of Apple's container CLI and wraps
// it in the harness the runtime contract and the crash-recovery suite use.
package appletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/internal/testtool"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Versions are the CLI versions the contract and crash-recovery suites run
// against, one per behaviour change that matters to the backend: 0.6 (no
// --progress, no startedDate, "K=" lost from --env), 0.9 (startedDate in
// seconds since 2001, JSON list ignores --all's absence, delete of a missing
// container says notFound), 0.10 (the same delete error without notFound),
// 0.12 (stop of a missing container fails), 1.2 (the 1.x JSON shape, inspect
// of a missing container fails); "none" is a build printing empty version
// fields.
var Versions = []string{"0.6.0", "0.9.0", "0.10.0", "0.12.0", "1.2.2", "none"}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildOut  []byte
)

// Emulator builds the emulator once per test process and returns its path.
func Emulator(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		// A dead run's emulator is a binary and nothing else: no process
		// of it outlives its run.
		testtool.SweepRunDirs("container-emu-")
		dir, err := testtool.RunDir("container-emu-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "container")
		cmd := exec.Command("go", "build", "-o", binary, "github.com/veloslet/veloslet/runtime/apple/emulator")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		tb.Fatalf("build emulator: %v\n%s", buildErr, buildOut)
	}
	return binary
}

// Env returns the environment that points the emulator at state and version.
// The emulator refuses env values on its command line, so any regression that
// puts one in argv fails every test that launches with env.
func Env(state, version string) []string {
	return []string{"CONTAINER_EMU_STATE=" + state, "CONTAINER_EMU_VERSION=" + version, "CONTAINER_EMU_ENV_ARGV=refuse"}
}

// New returns a backend over a fresh emulated host of the given version.
func New(tb testing.TB, version string) (*apple.Runtime, string) {
	tb.Helper()
	state := tb.TempDir()
	rt := apple.New(Emulator(tb))
	rt.Env = Env(state, version)
	rt.CallTimeout, rt.StopTimeout = 20*time.Second, time.Second
	return rt, state
}

// Harness returns the contract harness for a fresh emulated host.
func Harness(tb testing.TB, version string) *runtimetest.Harness {
	tb.Helper()
	rt, state := New(tb, version)
	return &runtimetest.Harness{
		Runtime: rt, ReportsExitCodes: false, Image: "docker.io/library/alpine:3.20",
		Command: []string{"sleep", "infinity"},
		Exit: func(tb testing.TB, uid string, code int) {
			tb.Helper()
			Exit(tb, rt, state, version, uid, code)
		},
		Reopen: func(_ testing.TB, storeID string, newPrefix bool) runtime.Runtime {
			other := apple.New(rt.Binary)
			other.Env, other.CallTimeout, other.StopTimeout = rt.Env, rt.CallTimeout, rt.StopTimeout
			other.StoreID = storeID
			if newPrefix {
				other.Prefix = "moved-"
			}
			return other
		},
	}
}

// Exit makes uid's container exit through the emulator's own verb.
func Exit(tb testing.TB, rt *apple.Runtime, state, version, uid string, code int) {
	tb.Helper()
	cmd := exec.Command(rt.Binary, "emu-exit", rt.Prefix+uid, strconv.Itoa(code))
	cmd.Env = append(os.Environ(), Env(state, version)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("emu-exit %s: %v: %s", uid, err, out)
	}
}
