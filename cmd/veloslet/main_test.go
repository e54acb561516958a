package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/veloslet/veloslet/store/storetest"
)

// built is a veloslet binary for the process-level tests, built on first
// use (a fuzzing run needs none) and shared by every test of the process.
type built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// raceBin is built with the race detector, plainBin without: serve under
// test runs with the detector when the tests do (make test), and without it
// in the long runs and wherever its cost would be measured too.
var raceBin, plainBin built

func (b *built) get(tb testing.TB, flags ...string) string {
	tb.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "veloslet-bin-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "veloslet")
		build := exec.Command("go", append(append([]string{"build"}, flags...), "-o", b.path, ".")...)
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

// binPath is the binary that process-level tests run: race-built when this
// test binary is.
func binPath(tb testing.TB) string {
	tb.Helper()
	if raceEnabled {
		return raceBin.get(tb, "-race")
	}
	return plainBin.get(tb)
}

// plainBinPath is the binary built without the race detector, for the
// measurements (memory, CPU) and the large runs.
func plainBinPath(tb testing.TB) string {
	tb.Helper()
	return plainBin.get(tb)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*built{&raceBin, &plainBin} {
		if b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

// testEnv is a config file using the file-backed fake, in a temp dir.
type testEnv struct {
	t      *testing.T
	dir    string
	config string
	db     string
	host   string // the fake's state file
}

// newTestEnv writes a config and a migrated database (a copy of one
// migrated per test process: migrating anew costs about 1.5 s under the race
// detector); extra goes into [reconcile], fakeExtra into [runtime.fake].
func newTestEnv(t *testing.T, extra string, fakeExtra ...string) *testEnv {
	t.Helper()
	e := newBareTestEnv(t, extra, fakeExtra...)
	if err := os.MkdirAll(filepath.Dir(e.db), 0o700); err != nil {
		t.Fatal(err)
	}
	storetest.MustSeedMigrated(t, e.db)
	return e
}

// newBareTestEnv is newTestEnv without the database, for the tests of what
// veloslet does when there is none yet.
func newBareTestEnv(t *testing.T, extra string, fakeExtra ...string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{t: t, dir: dir, config: filepath.Join(dir, "veloslet.toml"),
		db: filepath.Join(dir, "state", "veloslet.db"), host: filepath.Join(dir, "host.json")}
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "fake"
[runtime.fake]
state_file = %q
%s
[reconcile]
watch_interval = "100ms"
%s`, e.db, e.host, strings.Join(fakeExtra, "\n"), extra)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// run executes veloslet in this process with the env's config.
func (e *testEnv) run(stdin string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errb
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.config
		}
		return ""
	}
	code = m.Execute(context.Background(), args)
	return out.String(), errb.String(), code
}

// mustRun runs veloslet and fails the test unless it exits 0.
func (e *testEnv) mustRun(stdin string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(stdin, args...)
	if code != 0 {
		e.t.Fatalf("veloslet %s: exit %d: %s%s", strings.Join(args, " "), code, errOut, out)
	}
	return out
}

// command returns the built binary with the env's config.
func (e *testEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binPath(e.t), args...)
	cmd.Env = append(os.Environ(), EnvConfig+"="+e.config)
	return cmd
}
