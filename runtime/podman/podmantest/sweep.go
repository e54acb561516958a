package podmantest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/veloslet/veloslet/internal/testtool"
)

// RunLabel is the annotation every container a test process creates
// through podman carries, valued with testtool.RunID: the containers.conf that Env
// hands out adds it (podman's CLI, its API service and a veloslet started
// with that environment all read the file), so no backend carries a test
// seam. A test binary killed by a timeout runs no cleanup and leaves its
// containers running; the next test process to prepare podman removes the
// containers of runs that are gone (see sweep).
const RunLabel = "velos.test-run"

// sweepTimeout bounds the sweep's podman calls.
const sweepTimeout = 2 * time.Minute

// sweep force-removes every container whose RunLabel names a run that is no
// longer alive, and returns how many it removed. Containers without the
// annotation (made by hand, by another tool) are never touched, nor those of
// a live run (another package's tests running beside these).
func sweep(env []string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sweepTimeout)
	defer cancel()
	podman := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "podman", args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("podman %s: %w: %s", args[0], err, strings.TrimSpace(string(exit.Stderr)))
		}
		return out, err
	}
	out, err := podman("ps", "--all", "--quiet", "--no-trunc")
	if err != nil {
		return 0, err
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return 0, nil
	}
	// A container removed between the two calls fails the inspect of that
	// one only; the others are still printed.
	out, _ = podman(append([]string{"container", "inspect", "--format",
		`{{.ID}} {{index .Config.Annotations "` + RunLabel + `"}}`}, ids...)...)
	var stale []string
	for _, line := range strings.Split(string(out), "\n") {
		id, run, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && run != "" && !testtool.Alive(run) {
			stale = append(stale, id)
		}
	}
	if len(stale) == 0 {
		return 0, nil
	}
	_, err = podman(append([]string{"rm", "--force", "--time", "0"}, stale...)...)
	return len(stale), err
}
