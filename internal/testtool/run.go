package testtool

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// RunID names this test process: its pid and its start time (in clock
// ticks since boot, from /proc; 0 where there is no /proc), so a pid used
// again by a later process does not pass for the dead run.
var RunID = sync.OnceValue(func() string {
	pid := os.Getpid()
	return strconv.Itoa(pid) + "-" + strconv.FormatUint(startTicks(pid), 10)
})

// Alive reports whether run (a RunID) names a process still running: the
// pid exists and, where /proc tells, started at the same tick. A value that
// does not parse is kept as alive: only what is surely dead is removed.
func Alive(run string) bool {
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
