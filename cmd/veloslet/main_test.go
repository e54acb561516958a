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

// bin is the race-built veloslet binary for the process-level tests, built
// on first use (a fuzzing run needs none).
var bin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func binPath(tb testing.TB) string {
	tb.Helper()
	bin.once.Do(func() {
		if bin.dir, bin.err = os.MkdirTemp("", "veloslet-bin-"); bin.err != nil {
			return
		}
		bin.path = filepath.Join(bin.dir, "veloslet")
		build := exec.Command("go", "build", "-race", "-o", bin.path, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := build.CombinedOutput(); err != nil {
			bin.err = fmt.Errorf("build veloslet: %v\n%s", err, out)
		}
	})
	if bin.err != nil {
		tb.Fatal(bin.err)
	}
	return bin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bin.dir != "" {
		_ = os.RemoveAll(bin.dir)
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
