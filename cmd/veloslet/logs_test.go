package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// TestLogs_PreviousPodman: a container that prints 500 lines and exits 3 is
// relaunched; its last lines are kept, `logs --previous` prints them after
// the container is gone, and the query of docs/ops.md finds them.
func TestLogs_PreviousPodman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	e.mustRun(fmt.Sprintf(`{"uid": "loud", "image": %q, "env": {"TOKEN": "s3cret-token"},
		"command": ["sh", "-c", "for i in $(seq 1 500); do echo \"line $i\"; done; echo \"token $TOKEN\" >&2; exit 3"]}`,
		podmantest.Image), "apply", "-f", "-")
	run := podmanRunner(t, e, rt)
	run("reconcile")
	clitest.PollFor(t, clitest.PodmanTimeout, podmanExited(rt, "loud"))
	run("reconcile") // relaunches it
	out := run("logs", "loud", "--previous")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 200 || lines[0] != "line 302" || lines[198] != "line 500" || lines[199] != "token [env TOKEN]" {
		t.Fatalf("logs --previous printed %d lines, %q … %q; want line 302 to line 500 and the redacted stderr line",
			len(lines), lines[0], lines[len(lines)-1])
	}
	if tail := run("logs", "loud", "--previous", "1", "--tail", "2"); tail != "line 500\ntoken [env TOKEN]\n" {
		t.Fatalf("logs --previous 1 --tail 2 = %q", tail)
	}
	rows := sqlite(t, e.DB, crashLogQuery(t))
	if len(rows) < 2 || rows[1][0] != "loud" || rows[1][2] != "3" || !strings.HasSuffix(rows[1][4], "line 500\ntoken [env TOKEN]\n") {
		t.Fatalf("the crash-log query of docs/ops.md gave %q", rows)
	}
}

// TestLogs_PreviousRunOnlyPodman: a crashed instance started again in
// place keeps writing to the same log; what is kept as its crash log is
// the crashed run's output alone, not the new run's. (It is read just after
// the start, up to the moment before it: podman applies --tail before
// --until, so the read asks for twice the tail first.)
func TestLogs_PreviousRunOnlyPodman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	// Each run counts the runs before it in the container's own /tmp,
	// which a start in place keeps.
	e.mustRun(fmt.Sprintf(`{"uid": "count", "image": %q,
		"command": ["sh", "-c", "n=$(ls /tmp | grep -c mark); touch /tmp/mark$n; echo \"run $n\"; exit 3"]}`,
		podmantest.Image), "apply", "-f", "-")
	run := podmanRunner(t, e, rt)
	exited := podmanExited(rt, "count")
	run("reconcile")
	clitest.PollFor(t, clitest.PodmanTimeout, exited)
	run("reconcile") // keeps run 0's output, then starts it again in place
	clitest.PollFor(t, clitest.PodmanTimeout, exited)
	if out := run("logs", "count", "--previous"); out != "run 0\n" {
		t.Fatalf("logs --previous = %q, want run 0's output alone", out)
	}
	if out := run("logs", "count"); !strings.Contains(out, "run 1") {
		t.Fatalf("logs = %q, want the second run's output kept by podman", out)
	}
}

// podmanRunner runs the binary with podman's test environment and returns
// its output; it fails the test on an error, but for reconcile (whose exit
// reports failed actions).
func podmanRunner(t *testing.T, e *testEnv, rt *podman.Runtime) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		if args[0] == "reconcile" {
			out, _, _ := e.Run(rt.Env, "", args...)
			return out
		}
		return e.MustRun(rt.Env, "", args...)
	}
}

// podmanExited returns a poll condition: uid's instance is listed exited.
func podmanExited(rt *podman.Runtime, uid string) func() error {
	return func() error {
		list, err := rt.List(context.Background())
		if err != nil {
			return err
		}
		if in, ok := clitest.ByUID(list)[uid]; !ok || in.State != runtime.StateExited {
			return fmt.Errorf("%s is %+v, want exited", uid, in)
		}
		return nil
	}
}

// crashLogQuery returns the query of docs/ops.md that reads kept logs.
func crashLogQuery(t *testing.T) string {
	for _, q := range readOpsQueries(t) {
		if strings.Contains(q.sql, "FROM logs") {
			return q.sql
		}
	}
	t.Fatal("docs/ops.md has no query reading the logs table")
	return ""
}

// TestLogs_Live: `logs UID` prints the runtime's output of the instance,
// escaped for the terminal; a uid without kept logs fails --previous with
// exit 2, naming the count.
func TestLogs_Live(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "busybox", "command": ["echo", "hello \u001b[2J world"]}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "logs", "web"); out != "hello \\x1b[2J world\n" {
		t.Fatalf("logs web = %q, want the echo, escaped", out)
	}
	_, errOut, code := e.run("", "logs", "web", "--previous")
	if code != ExitUsage || !strings.Contains(errOut, "web has 0 kept logs") {
		t.Fatalf("logs --previous without a kept log: exit %d, %s", code, errOut)
	}
	if _, errOut, code := e.run("", "logs", "web", "--json"); code != ExitUsage || !strings.Contains(errOut, "--previous") {
		t.Fatalf("logs --json without --previous: exit %d, %s", code, errOut)
	}
}

// TestStatus_MissingImagePodman: a launch that fails for a missing image
// shows podman's own Error: line in status, events and describe, not its argv.
func TestStatus_MissingImagePodman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	e.mustRun(`{"uid": "noimg", "image": "localhost/veloslet-no-such-image:none"}`, "apply", "-f", "-")
	cmd := e.Command("reconcile")
	cmd.Env = append(cmd.Env, rt.Env...)
	_ = cmd.Run() // fails: the launch failed
	for _, args := range [][]string{{"status"}, {"events", "--uid", "noimg"}, {"describe", "noimg"}} {
		out := e.mustRun("", args...)
		// podman tries to pull it (before the run, which reads the image's
		// declared volumes), and its last line says why that failed.
		if !strings.Contains(out, "noimg: Error: ") && !strings.Contains(out, "  Error: ") ||
			!strings.Contains(out, "veloslet-no-such-image") || !strings.Contains(out, "(podman pull, exit 125)") ||
			strings.Contains(out, "--detach") {
			t.Fatalf("veloslet %s:\n%s\nwant podman's Error: line, without the argv", strings.Join(args, " "), out)
		}
	}
}
