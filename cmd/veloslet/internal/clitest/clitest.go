// Package clitest runs the veloslet binary for the tests of the command and
// its end-to-end tests: it builds the binary once per test process, writes a
// config on the file-backed fake runtime with a migrated database, and starts
// `veloslet serve` as a daemon that is killed at cleanup.
package clitest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store/storetest"
)

// EnvConfig is the environment variable that names veloslet's config file.
const EnvConfig = "VELOSLET_CONFIG"

// WaitTimeout bounds every wait for the daemon: long enough for a loaded
// 2-core machine running other test packages at the same time (a wait ends
// as soon as its condition holds, so a long bound costs nothing).
const WaitTimeout = time.Minute

// PodmanTimeout bounds a wait on real containers: podman's calls take
// seconds each on a loaded machine, and some waits need dozens of them.
const PodmanTimeout = 3 * time.Minute

// built is a veloslet binary, built on first use (a fuzzing run needs none)
// and shared by every test of the process.
type built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// raceBin is built with the race detector, plainBin without: serve under
// test runs with the detector when the tests do (make test, make e2e), and without it
// in the long runs and wherever its cost would be measured too.
var raceBin, plainBin built

func (b *built) get(tb testing.TB, flags ...string) string {
	tb.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "veloslet-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "veloslet")
		args := append(append([]string{"build"}, flags...), "-o", b.path, "github.com/veloslet/veloslet/cmd/veloslet")
		build := exec.Command("go", args...)
		if len(flags) > 0 {
			build.Env = append(os.Environ(), "CGO_ENABLED=1") // the race detector needs cgo
		}
		if out, err := build.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("build veloslet: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// Bin is the binary that process-level tests run: race-built when the test
// binary is.
func Bin(tb testing.TB) string {
	tb.Helper()
	if raceEnabled {
		return raceBin.get(tb, "-race")
	}
	return plainBin.get(tb)
}

// PlainBin is the binary built without the race detector, for the
// measurements (memory, CPU) and the large runs.
func PlainBin(tb testing.TB) string {
	tb.Helper()
	return plainBin.get(tb)
}

// Main runs the tests and removes the binaries they built; a package's
// TestMain calls it.
func Main(m *testing.M) {
	code := m.Run()
	for _, b := range []*built{&raceBin, &plainBin} {
		if b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

// Poll calls fn until it returns nil, failing with fn's last error (which
// says what was awaited and what was seen) after WaitTimeout.
func Poll(t *testing.T, fn func() error) {
	t.Helper()
	PollFor(t, WaitTimeout, fn)
}

// PollFor is Poll with another bound.
func PollFor(t *testing.T, timeout time.Duration, fn func() error) {
	t.Helper()
	storetest.RetryUntil(t, 20*time.Millisecond, timeout, fn)
}
