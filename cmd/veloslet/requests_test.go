package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/store"
)

// TestServe_ForceKeptWhenRequestsCoalesce holds the brake (every spec
// deleted at once), then runs `reconcile --force` and a plain `reconcile`
// in that order, well within one watch interval: the daemon serves both with
// one pass that keeps the force, so the removals happen, and each CLI
// prints the pass of its own request and exits 0.
func TestServe_ForceKeptWhenRequestsCoalesce(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1h\"\n")
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	// A long watch interval, so that both requests land in one.
	cfg = []byte(strings.Replace(string(cfg), `watch_interval = "100ms"`, `watch_interval = "3s"`, 1))
	if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(specsJSON(8), "apply", "-f", "-")
	e.serve()
	e.waitRunning(8)
	uids := make([]string, 8)
	for i := range uids {
		uids[i] = fmt.Sprintf("s%03d", i)
	}
	e.mustRun("", append([]string{"delete"}, uids...)...)
	db := e.openDB()
	poll(t, func() error { // the daemon's pass over the deletion held the brake
		evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: store.EventBrakeHeld})
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("no brake_held event yet (%v)", err)
		}
		return nil
	})
	if n := len(e.hostList()); n != 8 {
		t.Fatalf("%d instances after the held pass, want all 8 kept", n)
	}

	force, plain := e.command("reconcile", "--force"), e.command("reconcile")
	var fout, pout strings.Builder
	force.Stdout, force.Stderr, plain.Stdout, plain.Stderr = &fout, &fout, &pout, &pout
	if err := force.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, func() error { // the forced request is written first, the plain one after
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
	if n := len(e.hostList()); n != 0 {
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
