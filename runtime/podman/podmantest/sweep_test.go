package podmantest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/internal/testtool"
)

// TestSweep_RemovesOnlyDeadRuns: a container of a run whose process has
// ended is removed; one of this live run and one without the annotation
// are left alone.
func TestSweep_RemovesOnlyDeadRuns(t *testing.T) {
	env := Env(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := strconv.Itoa(gone.Process.Pid) + "-1"
	if testtool.Alive(dead) {
		t.Skipf("pid %d was reused at once", gone.Process.Pid)
	}
	if !testtool.Alive(testtool.RunID()) {
		t.Fatalf("this run %s reads as dead", testtool.RunID())
	}
	podman := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("podman", args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("podman %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	b := strconv.Itoa(os.Getpid())
	names := map[string][]string{
		"sweep-dead-" + b:  {"--annotation", RunLabel + "=" + dead},
		"sweep-live-" + b:  nil, // the containers.conf gives it this run's id
		"sweep-plain-" + b: {"--annotation", RunLabel + "="},
	}
	for name, extra := range names {
		args := append([]string{"create", "--name", name}, extra...)
		podman(append(args, Image, "true")...)
		t.Cleanup(func() { _ = exec.Command("podman", "rm", "--force", name).Run() })
	}
	if got := podman("container", "inspect", "--format", `{{index .Config.Annotations "`+RunLabel+`"}}`, "sweep-live-"+b); got != testtool.RunID() {
		t.Fatalf("a container of this run carries %s=%q, want %q", RunLabel, got, testtool.RunID())
	}
	if _, err := sweep(env); err != nil {
		t.Fatal(err)
	}
	left := podman("ps", "--all", "--format", "{{.Names}}", "--filter", "name=sweep-")
	for name := range names {
		if got, want := strings.Contains(left, name), !strings.HasPrefix(name, "sweep-dead-"); got != want {
			t.Errorf("%s left after the sweep: %v, want %v (left: %q)", name, got, want, left)
		}
	}
}
