package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	bin := filepath.Join(t.TempDir(), "veloslet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	e := newTestEnv(t, "concurrency = 8\n")
	apply := exec.Command(bin, "apply", "-f", "-")
	apply.Env = append(os.Environ(), EnvConfig+"="+e.config)
	apply.Stdin = strings.NewReader(specsJSON(n))
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%.2000s", err, out)
	}
	host, err := fake.Open(e.host)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := e.serveWith(bin)
	storetest.RetryUntil(t, 200*time.Millisecond, 10*time.Minute, func() error {
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("serve ended: %v\n%s", err, d.stderr.String())
		default:
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
	t.Logf("%d specs converged on the file-backed simulation in %s", n, time.Since(start).Round(100*time.Millisecond))
}
