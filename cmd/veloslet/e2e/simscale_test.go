package e2e

import (
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestSoak_FileSimulation10k serves 10,000 specs on the file-backed
// simulation with a plain (not race-built) binary, the test reading the host
// through its own handle as another process would: it converges, and the
// time it took is logged for docs/performance.md. The simulation's journal
// keeps each call near constant cost; rewriting the whole host on every
// call did not converge in 15 minutes.
func TestSoak_FileSimulation10k(t *testing.T) {
	const n = 10_000
	bin := clitest.PlainBin(t)
	e := newTestEnv(t, "concurrency = 8\n")
	apply := exec.Command(bin, "apply", "-f", "-")
	apply.Env = append(os.Environ(), clitest.EnvConfig+"="+e.Config)
	apply.Stdin = strings.NewReader(clitest.SpecsJSON(n))
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%.2000s", err, out)
	}
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := e.ServeWith(bin)
	storetest.RetryUntil(t, 200*time.Millisecond, 10*time.Minute, func() error {
		if ended, err := d.Ended(); ended {
			return fmt.Errorf("serve ended: %v\n%s", err, d.Stderr.String())
		}
		cs, err := host.Containers()
		if err != nil {
			return err
		}
		running := 0
		for _, c := range cs {
			if c.State == runtime.StateRunning {
				running++
			}
		}
		if running != n {
			return fmt.Errorf("%d of %d running after %s", running, n, time.Since(start).Round(time.Second))
		}
		return nil
	})
	took := time.Since(start)
	t.Logf("%d specs converged on the file-backed simulation in %s (load average %s)", n, took.Round(100*time.Millisecond), loadAvg())
	if limit := simLimit(); took > limit {
		t.Fatalf("%d specs took %s to converge, over the %s the simulation promises at this load", n, took.Round(time.Second), limit)
	}
}

// simLimit is the convergence time docs/performance.md promises for 10,000
// specs on the simulation: 60 s on a quiet machine, stretched by how far the
// run queue exceeds the cores when others load it (the figure is about the
// simulation's cost, not about a share of a busy machine).
func simLimit() time.Duration {
	const quiet = 60 * time.Second
	var load float64
	if _, err := fmt.Sscan(loadAvg(), &load); err != nil {
		return quiet
	}
	return time.Duration(float64(quiet) * max(1, load/float64(goruntime.NumCPU())))
}
