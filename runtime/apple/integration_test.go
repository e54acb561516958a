package apple_test

import (
	"flag"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

var integration = flag.Bool("integration", false, "run the contract against the real `container` CLI (macOS; `make integration`)")

// TestContract_RealCLI runs the contract against Apple's own CLI. It needs a
// Mac with the container service started, and pulls alpine once.
func TestContract_RealCLI(t *testing.T) {
	if !*integration {
		t.Skip("needs -integration and a Mac with `container system start` done: run `make integration`")
	}
	if goruntime.GOOS != "darwin" {
		t.Skipf("Apple's container CLI runs only on macOS, not %s", goruntime.GOOS)
	}
	bin, err := exec.LookPath("container")
	if err != nil {
		t.Fatalf("container CLI not found: %v", err)
	}
	runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness {
		rt := apple.New(bin)
		rt.Prefix = "velostest-"
		return &runtimetest.Harness{
			Runtime: rt, Image: "docker.io/library/alpine:3.20", Command: []string{"sleep", "3600"},
			Settle: time.Minute,
			Exit: func(tb testing.TB, uid string, code int) {
				// The real CLI cannot choose an exit code: kill the process instead.
				out, err := exec.Command(bin, "kill", "--signal", "KILL", rt.Prefix+uid).CombinedOutput()
				if err != nil {
					tb.Fatalf("kill %s (wanted code %s): %v: %s", uid, strconv.Itoa(code), err, out)
				}
			},
		}
	})
}
