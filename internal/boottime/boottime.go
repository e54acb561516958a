// Package boottime reads when the host last booted, by the wall clock: an
// instance that started before it was stopped by the reboot, not by a
// failure of its own. It reads the kernel's own record and nothing else;
// on a platform without one it says so.
package boottime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ErrUnsupported is returned by Read on a platform without a boot time.
var ErrUnsupported = errors.New("boot time: not known on this platform")

// procStat is where Linux keeps the boot time; a variable for tests.
var procStat = "/proc/stat"

// fromProcStat reads the "btime SECONDS" line of a /proc/stat: the boot
// time in seconds since the epoch, which the kernel computes as the wall
// clock now less the time since boot.
func fromProcStat(data []byte) (time.Time, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		v, ok := bytes.CutPrefix(sc.Bytes(), []byte("btime "))
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil || sec <= 0 {
			return time.Time{}, fmt.Errorf("boot time: %s: btime %q: not a positive number", procStat, v)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("boot time: %s has no btime line", procStat)
}

func readProcStat() (time.Time, error) {
	data, err := os.ReadFile(procStat)
	if err != nil {
		return time.Time{}, fmt.Errorf("boot time: %w", err)
	}
	return fromProcStat(data)
}
