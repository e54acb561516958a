package spec

import (
	"encoding/json"
	"fmt"
)

// Bounds of a spec's log_max_size: the least is [logs] max_size's least,
// so that neither can make a log file that holds less than a few lines of a
// crash; the most is far more than any disk a container's log should fill.
const (
	MinLogSize = 64 << 10
	MaxLogSize = 1 << 40
)

// LogSize is a log file's bound in bytes, written as a number of bytes or a
// size string with a binary suffix ("10M", "1GiB"), as memory is.
type LogSize int64

// UnmarshalText parses a size string.
func (l *LogSize) UnmarshalText(b []byte) error {
	v, err := ParseMemory(string(b))
	if err != nil {
		return &ValidationError{Field: "log_max_size", Value: quote(string(b)), Reason: `want bytes or a size such as "10M"`}
	}
	*l = LogSize(v)
	return nil
}

// UnmarshalJSON accepts a number of bytes or a size string.
func (l *LogSize) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return l.UnmarshalText([]byte(s))
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return &ValidationError{Field: "log_max_size", Value: quote(string(b)), Reason: `want a number of bytes or a string such as "10M"`}
	}
	*l = LogSize(n)
	return nil
}

// validateLogSize: 0 (the daemon's [logs] max_size) or within the bounds.
func (c *Container) validateLogSize() *ValidationError {
	if n := c.LogMaxSize; n != 0 && (n < MinLogSize || n > MaxLogSize) {
		return &ValidationError{Field: "log_max_size", Value: fmt.Sprint(int64(n)),
			Reason: fmt.Sprintf("must be 0 ([logs] max_size) or between %d (64 KiB) and %d (1 TiB) bytes", MinLogSize, MaxLogSize)}
	}
	return nil
}
