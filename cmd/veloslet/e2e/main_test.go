// Package e2e holds the end-to-end tests of veloslet: the built binary's
// daemon against real podman, the docker backend and the Apple CLI emulator,
// the chaos runs that SIGKILL it, the long runs and the benchmarks. They run
// the binary as an operator would, so this package sees only what it prints
// and what the database and the runtime hold. `make e2e` runs the short ones,
// `make soak` the long ones; `make test` leaves this package out (the
// command's own tests, which run its verbs in-process and some against
// podman, stay in make test).
package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store"
)

func TestMain(m *testing.M) { clitest.Main(m) }

// exitUsage is veloslet's exit code for bad flags, arguments, config or
// input (main.ExitUsage, documented in the man page; a change there is a
// change of the interface this test checks).
const exitUsage = 2

// testEnv is clitest's env with veloslet's verbs run as processes.
type testEnv struct{ *clitest.Env }

// newTestEnv is a config on the fake runtime and a migrated database;
// extra goes into [reconcile], fakeExtra into [runtime.fake].
func newTestEnv(t *testing.T, extra string, fakeExtra ...string) *testEnv {
	t.Helper()
	return &testEnv{clitest.NewEnv(t, extra, fakeExtra...)}
}

// run runs the built veloslet with the env's config.
func (e *testEnv) run(stdin string, args ...string) (stdout, stderr string, code int) {
	e.T.Helper()
	return e.Run(nil, stdin, args...)
}

// mustRun runs veloslet and fails the test unless it exits 0.
func (e *testEnv) mustRun(stdin string, args ...string) string {
	e.T.Helper()
	return e.MustRun(nil, stdin, args...)
}

// lastLines is the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// statusOf returns `status --json` rows by uid.
func (e *testEnv) statusOf() map[string]map[string]any {
	e.T.Helper()
	return clitest.StatusByUID(e.T, e.mustRun("", "status", "--json"))
}

// wantEventPassesOnly fails unless the daemon's passes so far include
// event passes and no cron pass: deaths were seen by the event stream.
func wantEventPassesOnly(t *testing.T, db *store.DB) {
	t.Helper()
	var triggers []string
	for id := int64(1); ; id++ {
		p, err := db.FindPassByID(context.Background(), id)
		if err != nil {
			break
		}
		triggers = append(triggers, string(p.Trigger))
	}
	if slices.Contains(triggers, string(store.TriggerSchedule)) || !slices.Contains(triggers, string(store.TriggerEvent)) {
		t.Fatalf("pass triggers %v: want event passes and no cron pass", triggers)
	}
}
