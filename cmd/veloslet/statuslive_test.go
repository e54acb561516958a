package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// statusStates runs `status --json` and returns each uid's display state.
func statusStates(t *testing.T, run func(args ...string) string) map[string]string {
	t.Helper()
	var rows []struct {
		UID     string `json:"uid"`
		Display string `json:"display_state"`
	}
	if err := json.Unmarshal([]byte(run("status", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.UID] = r.Display
	}
	return out
}

// TestStatus_LiveWithNoDaemon: with no daemon, status shows what the
// simulated host lists now, not the records that still say running.
func TestStatus_LiveWithNoDaemon(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.mustRun("", "reconcile")
	e.mustRun("", "fake", "exit", "s000", "--code", "3")
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Remove(context.Background(), "s001"); err != nil {
		t.Fatal(err)
	}
	got := statusStates(t, func(args ...string) string { return e.mustRun("", args...) })
	want := map[string]string{"s000": "exited(3)", "s001": StateMissing, "s002": "running"}
	for uid, w := range want {
		if got[uid] != w {
			t.Errorf("%s: state %q, want %q (all: %v)", uid, got[uid], w, got)
		}
	}
	if out := e.mustRun("", "status"); !strings.Contains(out, "STATE is what the runtime lists now; 2 uid(s) differ") {
		t.Errorf("status does not say its states are live:\n%s", out)
	}
}

// TestStatus_LiveWithNoDaemonPodman: serve runs two containers and is
// stopped; podman then kills one and removes the other. status (and
// describe) show them exited and missing, never running, as after a reboot
// before the daemon is up.
func TestStatus_LiveWithNoDaemonPodman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	// A pass that meets a podman too slow to answer fails (seen with two
	// test runs side by side); the next tick tries again.
	e.SetSchedule("@every 2s")
	e.MustRun(rt.Env, clitest.PodmanSpecs(2, podmantest.Image), "apply", "-f", "-")
	sock, msgs := notifySocket(t)
	d := e.Serve(append([]string{"NOTIFY_SOCKET=" + sock}, rt.Env...)...)
	next(t, msgs, "READY=1") // after the first pass
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		list, err := rt.List(context.Background())
		if err != nil {
			return err
		}
		if m := clitest.ByUID(list); m["p00"].State != runtime.StateRunning || m["p01"].State != runtime.StateRunning {
			return fmt.Errorf("listed %v, want p00 and p01 running", list)
		}
		return nil
	})
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.Wait(t); code != 0 {
		t.Fatalf("serve: exit %d after SIGTERM", code)
	}
	for _, args := range [][]string{{"kill", rt.Prefix + "p00"}, {"rm", "--force", rt.Prefix + "p01"}} {
		cmd := exec.Command(rt.Binary, args...)
		cmd.Env = append(cmd.Environ(), rt.Env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman %v: %v: %s", args, err, out)
		}
	}
	got := statusStates(t, func(args ...string) string { return e.MustRun(rt.Env, "", args...) })
	if got["p00"] != "exited(137)" || got["p01"] != StateMissing {
		t.Fatalf("states %v, want p00 exited(137) and p01 missing", got)
	}
	// The records still say running: describe names the difference.
	if out := e.MustRun(rt.Env, "", "describe", "p00"); !strings.HasPrefix(out, "p00 — exited(137)\nno daemon: STATE is what the runtime lists now") {
		t.Errorf("describe p00 after the kill:\n%s", out)
	}
}
