//go:build !linux && !darwin

package boottime

import "time"

// Read returns ErrUnsupported: this platform's boot time is not read.
func Read() (time.Time, error) { return time.Time{}, ErrUnsupported }
