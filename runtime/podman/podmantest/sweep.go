package podmantest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// RunLabel is the annotation every container a test process creates
// through podman carries, valued with RunID: the containers.conf that Env
// hands out adds it (podman's CLI, its API service and a veloslet started
// with that environment all read the file), so no backend carries a test
// seam. A test binary killed by a timeout runs no cleanup and leaves its
// containers running; the next test process to prepare podman removes the
// containers of runs that are gone (see sweep).
const RunLabel = "velos.test-run"

// RunID names this test process: its pid and its start time (in clock
// ticks since boot, from /proc; 0 where there is no /proc), so a pid used
// again by a later process does not pass for the dead run.
var RunID = sync.OnceValue(func() string {
	pid := os.Getpid()
	return strconv.Itoa(pid) + "-" + strconv.FormatUint(startTicks(pid), 10)
})

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
		if ok && run != "" && !alive(run) {
			stale = append(stale, id)
		}
	}
	if len(stale) == 0 {
		return 0, nil
	}
	_, err = podman(append([]string{"rm", "--force", "--time", "0"}, stale...)...)
	return len(stale), err
}

// alive reports whether run (a RunID) names a process still running: the
// pid exists and, where /proc tells, started at the same tick. A value that
// does not parse is kept as alive: only what is surely dead is removed.
func alive(run string) bool {
	p, t, ok := strings.Cut(run, "-")
	pid, err1 := strconv.Atoi(p)
	ticks, err2 := strconv.ParseUint(t, 10, 64)
	if !ok || err1 != nil || err2 != nil || pid <= 0 {
		return true
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	now := startTicks(pid)
	return ticks == 0 || now == 0 || now == ticks
}

// startTicks returns field 22 of /proc/<pid>/stat, the process's start time
// in clock ticks since boot; 0 when it cannot be read.
func startTicks(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:])) // from field 3 on
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}
