package appletest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime/apple"
)

// Calls is the emulator's call log (CONTAINER_EMU_LOG): one line per call,
// "verb fault exit-code time argv", argv a JSON array.
type Calls struct{ path string }

// LogCalls makes rt's emulator log its calls and returns the log.
func LogCalls(tb testing.TB, rt *apple.Runtime) *Calls {
	tb.Helper()
	c := &Calls{path: filepath.Join(tb.TempDir(), "calls.log")}
	rt.Env = append(rt.Env, "CONTAINER_EMU_LOG="+c.path)
	return c
}

// Env returns the variable that makes an emulator log to c.
func (c *Calls) Env() string { return "CONTAINER_EMU_LOG=" + c.path }

// Lines returns the calls so far, each "verb fault exit-code".
func (c *Calls) Lines(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(c.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Count returns how many calls had the verb ("--version", "list", "run", …).
func (c *Calls) Count(tb testing.TB, verb string) int {
	tb.Helper()
	n := 0
	for _, l := range c.Lines(tb) {
		if v, _, _ := strings.Cut(l, " "); v == verb {
			n++
		}
	}
	return n
}

// Reset empties the log.
func (c *Calls) Reset(tb testing.TB) {
	tb.Helper()
	if err := os.Remove(c.path); err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
}

// Argv returns each call's arguments, the verb first, in call order.
func (c *Calls) Argv(tb testing.TB) [][]string {
	tb.Helper()
	var out [][]string
	for _, l := range c.Lines(tb) {
		i := strings.Index(l, " [")
		var argv []string
		if i < 0 || json.Unmarshal([]byte(l[i+1:]), &argv) != nil {
			tb.Fatalf("call log line %q: no argv", l)
		}
		out = append(out, argv)
	}
	return out
}
