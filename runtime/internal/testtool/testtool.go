// Package testtool holds the rule for runtime tests that need an outside
// tool (podman, busybox): skip with the reason when it is missing, fail
// instead when the CI script asks for every tool. It is the runtime side's
// copy of the rule store/storetest applies to sqlite3, so that no runtime
// helper imports the store's.
package testtool

import (
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
	if os.Getenv(RequireToolsEnv) == "1" {
		tb.Fatalf("%s is not installed, and %s=1 forbids skipping", name, RequireToolsEnv)
	}
	tb.Skipf("%s is not installed: %v", name, err)
	return ""
}
