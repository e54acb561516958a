package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestServe_ForceKeptWhenRequestsCoalesce holds the brake (every spec
// deleted at once), then runs `reconcile --force` and a plain `reconcile`
// in that order, well within one watch interval: the daemon serves both with
// one pass that keeps the force, so the removals happen, and each CLI
// prints the pass of its own request and exits 0.
func TestServe_ForceKeptWhenRequestsCoalesce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	// A long watch interval, so that both requests land in one.
	cfg = []byte(strings.Replace(string(cfg), `watch_interval = "100ms"`, `watch_interval = "3s"`, 1))
	if err := os.WriteFile(e.Config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(clitest.SpecsJSON(8), "apply", "-f", "-")
	e.Serve()
	e.WaitRunning(8)
	uids := make([]string, 8)
	for i := range uids {
		uids[i] = fmt.Sprintf("s%03d", i)
	}
	e.mustRun("", append([]string{"delete"}, uids...)...)
	db := e.OpenDB()
	clitest.Poll(t, func() error { // the daemon's pass over the deletion held the brake
		evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: store.EventBrakeHeld})
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("no brake_held event yet (%v)", err)
		}
		return nil
	})
	if n := len(e.HostList()); n != 8 {
		t.Fatalf("%d instances after the held pass, want all 8 kept", n)
	}

	force, plain := e.Command("reconcile", "--force"), e.Command("reconcile")
	var fout, pout strings.Builder
	force.Stdout, force.Stderr, plain.Stdout, plain.Stderr = &fout, &fout, &pout, &pout
	if err := force.Start(); err != nil {
		t.Fatal(err)
	}
	clitest.Poll(t, func() error { // the forced request is written first, the plain one after
		_, err := db.FindPassRequest(context.Background())
		return err
	})
	if err := plain.Start(); err != nil {
		t.Fatal(err)
	}
	ferr, perr := force.Wait(), plain.Wait()
	t.Logf("reconcile --force: %v\n%s\nreconcile: %v\n%s", ferr, fout.String(), perr, pout.String())
	if ferr != nil || perr != nil {
		t.Fatalf("reconcile --force: %v; reconcile: %v", exitErr(ferr), exitErr(perr))
	}
	if n := len(e.HostList()); n != 0 {
		t.Fatalf("%d instances left after reconcile --force returned: the force was lost", n)
	}
	for _, out := range []string{fout.String(), pout.String()} {
		if !strings.Contains(out, "by the daemon") {
			t.Fatalf("reconcile did not print the daemon's pass:\n%s", out)
		}
	}
}

func exitErr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return fmt.Sprintf("exit %d", ee.ExitCode())
	}
	return fmt.Sprint(err)
}

// TestReconcile_ForceExitsNonZeroWhenBrakeHeld answers `reconcile --force`
// with a pass that was not forced (as a daemon started before the request
// would, or one that lost the flag) over a host where the brake holds: the
// CLI prints the pass and exits 1, saying the brake held.
func TestReconcile_ForceExitsNonZeroWhenBrakeHeld(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(8), "apply", "-f", "-")
	e.mustRun("", "reconcile") // no daemon: launches the 8 here
	uids := make([]string, 8)
	for i := range uids {
		uids[i] = fmt.Sprintf("s%03d", i)
	}
	e.mustRun("", append([]string{"delete"}, uids...)...)

	lock, err := acquireLock(e.DB) // stands for the daemon
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.release() }()
	db := e.OpenDB()
	rt, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	sup := supervisor.New(db, rt)
	served := make(chan error, 1)
	go func() {
		ctx := context.Background()
		var req *store.PassRequest
		for req == nil {
			req, _ = db.FindPassRequest(ctx)
			time.Sleep(20 * time.Millisecond) // polling for the CLI's request, as the daemon's watch does
		}
		_, err := sup.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual, RequestID: req.ID})
		served <- err
	}()
	out, stderr, code := e.run("", "reconcile", "--force", "--timeout", "30s")
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if code != ExitFailure || !strings.Contains(stderr, "safety brake held") || !strings.Contains(out, "by the daemon") {
		t.Fatalf("reconcile --force answered by a held pass: exit %d\n%s%s; want exit %d saying the brake held", code, out, stderr, ExitFailure)
	}
	if n := len(e.HostList()); n != 8 {
		t.Fatalf("%d instances, want the 8 the brake kept", n)
	}
}
