package boottime

import "time"

// Read returns when the host booted, from /proc/stat's btime.
func Read() (time.Time, error) { return readProcStat() }
