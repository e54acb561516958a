package boottime

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Read returns when the host booted, from the kern.boottime sysctl.
func Read() (time.Time, error) {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return time.Time{}, fmt.Errorf("boot time: sysctl kern.boottime: %w", err)
	}
	return time.Unix(tv.Unix()).UTC(), nil
}
