package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

func TestMain(m *testing.M) { clitest.Main(m) }

// testEnv is clitest's env with veloslet run in this process.
type testEnv struct{ *clitest.Env }

// newTestEnv is clitest.NewEnv: a config on the fake runtime and a migrated
// database; extra goes into [reconcile], fakeExtra into [runtime.fake].
func newTestEnv(t *testing.T, extra string, fakeExtra ...string) *testEnv {
	t.Helper()
	return &testEnv{clitest.NewEnv(t, extra, fakeExtra...)}
}

// newBareTestEnv is newTestEnv without the database, for the tests of what
// veloslet does when there is none yet.
func newBareTestEnv(t *testing.T, extra string, fakeExtra ...string) *testEnv {
	t.Helper()
	return &testEnv{clitest.NewBareEnv(t, extra, fakeExtra...)}
}

// run executes veloslet in this process with the env's config.
func (e *testEnv) run(stdin string, args ...string) (stdout, stderr string, code int) {
	e.T.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errb
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.Config
		}
		return ""
	}
	code = m.Execute(context.Background(), args)
	return out.String(), errb.String(), code
}

// mustRun runs veloslet and fails the test unless it exits 0.
func (e *testEnv) mustRun(stdin string, args ...string) string {
	e.T.Helper()
	out, errOut, code := e.run(stdin, args...)
	if code != 0 {
		e.T.Fatalf("veloslet %s: exit %d: %s%s", strings.Join(args, " "), code, errOut, out)
	}
	return out
}
