package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of the CPU times in /proc/PID/stat.
const clockTick = 10 * time.Millisecond

// pidsByToken maps the argument of every `sleep` process on the host to its
// pid: the benchmark's containers each sleep for a token of their own. A
// killed process awaiting its reaping has an empty command line, so it is
// not listed.
func pidsByToken() map[string]int {
	out := map[string]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
		if len(args) == 2 && filepath.Base(args[0]) == "sleep" {
			out[args[1]] = pid
		}
	}
	return out
}

// treeCPU is the CPU time of pid: its own, its children's that it has
// reaped, and that of its children still alive (serve's event stream).
func treeCPU(pid int) time.Duration {
	own, _ := statCPU(pid, true)
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil || child == pid {
			continue
		}
		if cpu, ppid := statCPU(child, true); ppid == pid {
			own += cpu
		}
	}
	return own
}

// statCPU reads utime and stime (and, with reaped, cutime and cstime) of
// pid from /proc/PID/stat, and its parent's pid.
func statCPU(pid int, reaped bool) (time.Duration, int) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0
	}
	// The command name, in parentheses, may hold spaces: fields start after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, 0
	}
	// f[0] is the state, f[1] the ppid; utime, stime, cutime, cstime are f[11:15].
	ppid, _ := strconv.Atoi(f[1])
	var ticks int64
	last := 13
	if reaped {
		last = 15
	}
	for _, s := range f[11:last] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick, ppid
}

// loadAvg is the 1, 5 and 15 minute load averages, as /proc/loadavg gives them.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}
