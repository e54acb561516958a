package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Memory is a size in bytes, written as a number of bytes or a string with a
// binary suffix: "512M", "1G", "1.5GiB".
type Memory int64

// UnmarshalText parses a size string.
func (m *Memory) UnmarshalText(b []byte) error {
	v, err := ParseMemory(string(b))
	*m = Memory(v)
	return err
}

// UnmarshalJSON accepts a number of bytes or a size string.
func (m *Memory) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return m.UnmarshalText([]byte(s))
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("memory %s: want a number of bytes or a string such as \"512M\"", b)
	}
	*m = Memory(n)
	return nil
}

// ParseMemory parses "512M", "1G", "1.5GiB", "1048576" (bytes). Suffixes
// are binary (K = 1024) whatever their spelling, as in Docker and Podman.
func ParseMemory(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			shift, t = (i+1)*10, t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("memory %q: want bytes or a size such as \"512M\" or \"1G\"", s)
	}
	v := f * float64(int64(1)<<shift)
	if v > float64(MaxMemory) {
		return 0, fmt.Errorf("memory %q: larger than 1 PiB", s)
	}
	if v != math.Trunc(v) {
		// "0.5" would become 0, which means no limit at all.
		return 0, fmt.Errorf("memory %q: not a whole number of bytes", s)
	}
	return int64(v), nil
}

// Duration is a span written as a Go duration string ("10s", "1m30s"); zero
// is written as "" and means the default.
type Duration time.Duration

// String returns "10s", or "" for zero.
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	return time.Duration(d).String()
}

// MarshalText writes String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration string; "" is zero.
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return badDuration(durationField, string(b)) // the decoder names the field
	}
	*d = Duration(v)
	return nil
}

// Signals are the stop signals a spec may name: Linux's standard signals by
// their SIG name, which podman, Docker and Apple's CLI all accept.
var Signals = []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
	"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

func checkSignal(s string) error {
	for _, k := range Signals {
		if s == k {
			return nil
		}
	}
	for _, k := range Signals {
		if strings.EqualFold(s, k) || strings.EqualFold("SIG"+s, k) {
			return fmt.Errorf("unknown signal; did you mean %s?", k)
		}
	}
	return fmt.Errorf("unknown signal; want a name such as SIGTERM, SIGINT or SIGQUIT")
}
