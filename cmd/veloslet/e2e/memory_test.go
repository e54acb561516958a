package e2e

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// memoryBound is the peak resident set docs/performance.md promises for
// serve with 10,000 specs on the simulated runtime.
const memoryBound = 256 << 20

// TestSoak_ServeMemory10k measures the peak RSS of a plain (not race-built)
// serve that converges 10,000 specs and keeps passing over them. It runs in
// make soak: converging 10,000 specs takes minutes on a loaded machine.
func TestSoak_ServeMemory10k(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc/<pid>/status, which only Linux has")
	}
	bin := clitest.PlainBin(t)
	e := newMemoryEnv(t)
	var specs strings.Builder
	for i := range 10_000 {
		fmt.Fprintf(&specs, "[[spec]]\nuid = \"m%05d\"\nimage = \"busybox\"\ncommand = [\"sleep\", \"infinity\"]\n"+
			"[spec.env]\nTOKEN = \"secret-%d\"\n[spec.labels]\nteam = \"t%d\"\n", i, i, i%10)
	}
	e.mustRun(specs.String(), "apply", "-f", "-")

	d := e.ServeWith(bin)

	db := e.OpenDB()
	ctx := context.Background()
	var first int64
	storetest.RetryUntil(t, 100*time.Millisecond, 5*time.Minute, func() error {
		recs, err := storetest.FindInstances(ctx, db)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range recs {
			if r.State == store.InstanceRunning {
				n++
			}
		}
		if n != 10_000 {
			return fmt.Errorf("%d running", n)
		}
		p, err := db.LastPass(ctx)
		if err != nil {
			return err
		}
		if first == 0 {
			first = p.ID
		}
		// Ten passes over the converged set.
		if p.ID < first+10 {
			return fmt.Errorf("pass %d, waiting for %d", p.ID, first+10)
		}
		return nil
	})
	hwm, rss := clitest.ProcMemory(t, d.Cmd.Process.Pid)
	t.Logf("serve with 10,000 specs: peak RSS (VmHWM) %.1f MiB, current RSS %.1f MiB", float64(hwm)/(1<<20), float64(rss)/(1<<20))
	if hwm > memoryBound {
		t.Errorf("peak RSS %d bytes, above the documented %d", hwm, memoryBound)
	}
}

func newMemoryEnv(t *testing.T) *testEnv {
	// A pass on every tick (resync off): the passes over the converged set
	// are what the test waits for, and with the event stream up they would
	// come once a minute.
	e := newTestEnv(t, "schedule = \"@every 1s\"\nresync = \"0s\"")
	// The in-memory fake: the memory measured is serve's own.
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), fmt.Sprintf("state_file = %q", e.Host), "", 1))
	if err := os.WriteFile(e.Config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}
