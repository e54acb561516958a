// Package testtool holds the one rule for tests that need something outside
// Go (podman, busybox, sqlite3, root): skip with the reason when it is
// missing, fail instead when the CI script asks for everything, so CI can
// never pass by skipping. The store's, the runtimes' and the CLI's test
// helpers all use it. It also names the test run (RunID, Alive), so the
// podman and docker harnesses can remove what a killed run left behind,
// and gives each run's harness folders the run's name (RunDir) for the same
// reason.
// Test helpers only: nothing in production imports it.
package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireToolsEnv, when set to 1 (the CI script sets it), turns a skip for a
// missing outside tool into a failure, so CI can never pass by skipping.
const RequireToolsEnv = "VELOSLET_REQUIRE_TOOLS"

// Need returns the path of an outside tool, or skips the test with the
// reason — a failure instead when RequireToolsEnv is set to 1.
func Need(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	Missing(tb, "%s is not installed: %v", name, err)
	return ""
}

// Missing skips the test, saying what it lacks — or fails it when
// RequireToolsEnv is set to 1.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv(RequireToolsEnv) == "1" {
		tb.Fatalf("%s, and %s=1 forbids skipping", why, RequireToolsEnv)
	}
	tb.Skip(why)
}
