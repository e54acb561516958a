package e2e

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/store"
)

// dockerEnv is a testEnv whose config uses the docker backend on a real API
// server (podman's service, or a dockerd) under its own prefix.
func dockerEnv(t *testing.T) (*testEnv, *docker.Runtime) {
	s := dockertest.Start(t)
	rt := s.Runtime(t)
	e := newTestEnv(t, "")
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "docker"
name_prefix = %q
stop_timeout = "1s"
[runtime.docker]
host = %q
[reconcile]
schedule = "@every 1h"
watch_interval = "100ms"
concurrency = 8
`, e.DB, rt.Prefix, s.Host)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e, rt
}

func dockerRunning(t *testing.T, rt *docker.Runtime) (map[string]runtime.Instance, int) {
	t.Helper()
	list, err := rt.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range list {
		if in.State == runtime.StateRunning {
			n++
		}
	}
	return clitest.ByUID(list), n
}

// TestServe_Docker is the end-to-end run on the docker backend: 10 specs,
// deaths (SIGKILL of the container's process) relaunched by the API's event
// stream with cron an hour away, then a SIGKILLed daemon whose specs change
// while it is down: on restart the untouched are adopted, the deleted
// removed, the changed replaced, and a hand-made container left alone.
func TestServe_Docker(t *testing.T) {
	t.Parallel()
	e, rt := dockerEnv(t)
	ctx := context.Background()
	api := dockertest.Client(t, rt)
	hand, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{Name: rt.Prefix + "byhand",
		Config: &container.Config{Image: dockertest.Image, Cmd: []string{"sleep", "100000"}}})
	if err == nil {
		_, err = api.ContainerStart(ctx, hand.ID, client.ContainerStartOptions{})
	}
	if err != nil {
		t.Fatalf("start a container by hand: %v", err)
	}
	const n = 10
	base := 1_000_000 + mrand.IntN(8_000_000) // each instance sleeps a number of its own, to find its process by
	e.mustRun(dockerSpecs(n, base), "apply", "-f", "-")
	d := e.Serve()
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		if _, got := dockerRunning(t, rt); got != n+1 {
			return fmt.Errorf("%d of %d running", got, n+1)
		}
		return nil
	})
	db := e.OpenDB()

	var delays []time.Duration
	for round := range 2 {
		before, _ := dockerRunning(t, rt)
		victims := []string{fmt.Sprintf("p%02d", round*3), fmt.Sprintf("p%02d", round*3+1), fmt.Sprintf("p%02d", round*3+2)}
		pids, killed := map[string]int{}, map[string]time.Time{}
		for i, uid := range victims {
			pids[uid] = sleeperPid(t, base+round*3+i)
		}
		for _, uid := range victims {
			if err := syscall.Kill(pids[uid], syscall.SIGKILL); err != nil {
				t.Fatalf("kill %s: %v", uid, err)
			}
			killed[uid] = time.Now()
		}
		done := map[string]bool{}
		clitest.PollFor(t, clitest.PodmanTimeout, func() error {
			now, _ := dockerRunning(t, rt)
			for i, uid := range victims {
				in := now[uid]
				if done[uid] || in.State != runtime.StateRunning {
					continue
				}
				// A new container, or the same one started in place: a new process.
				if pid := findSleeper(base + round*3 + i); in.ID != before[uid].ID || (pid != 0 && pid != pids[uid]) {
					done[uid] = true
					delays = append(delays, time.Since(killed[uid]))
				}
			}
			if len(done) != len(victims) {
				return fmt.Errorf("round %d: %d of %d replaced", round, len(done), len(victims))
			}
			return nil
		})
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	t.Logf("death to replacement running, %d deaths: median %s, min %s, max %s",
		len(delays), delays[len(delays)/2], delays[0], delays[len(delays)-1])
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		exits, err := db.FindEvents(ctx, store.EventFilter{Kind: store.EventExited})
		if err != nil {
			return err
		}
		if len(exits) != 6 {
			return fmt.Errorf("%d exited events, want 6", len(exits))
		}
		for _, ev := range exits {
			if ev.ExitCode == nil || *ev.ExitCode != 137 {
				return fmt.Errorf("exited event %+v: want exit code 137", ev)
			}
		}
		return nil
	})
	wantEventPassesOnly(t, db)

	// SIGKILL the daemon; while it is down delete 2 specs and change 1.
	if err := d.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	d.Wait(t)
	before, _ := dockerRunning(t, rt)
	e.mustRun("", "delete", "p08", "p09")
	e.mustRun(fmt.Sprintf(`[{"uid": "p00", "image": %q, "command": ["sleep", "%d"]}]`, dockertest.Image, base+n), "apply", "-f", "-")
	last := lastEventID(t, db)
	e.Serve()
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		now, got := dockerRunning(t, rt)
		for _, uid := range []string{"p08", "p09"} {
			if _, ok := now[uid]; ok {
				return fmt.Errorf("%s not removed yet", uid)
			}
		}
		if now["p00"].ID == before["p00"].ID || now["p00"].Generation() != 2 {
			return fmt.Errorf("p00 not replaced yet")
		}
		if got != n-1 {
			return fmt.Errorf("%d running, want %d specs and the hand-made one", got, n-2)
		}
		return nil
	})
	now, _ := dockerRunning(t, rt)
	for i := 1; i < 8; i++ {
		uid := fmt.Sprintf("p%02d", i)
		if now[uid].ID != before[uid].ID {
			t.Errorf("%s was replaced (%s → %s); want it resumed untouched", uid, before[uid].ID, now[uid].ID)
		}
	}
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		evs, _ := db.FindEvents(ctx, store.EventFilter{AfterID: last, Kind: store.EventResumed})
		if len(evs) != 7 {
			return fmt.Errorf("%d resumed events after the restart, want 7", len(evs))
		}
		return nil
	})
	if in := now["byhand"]; in.State != runtime.StateRunning || in.StoreID() != "" {
		t.Fatalf("the hand-made container was touched: %+v", in)
	}
}

func dockerSpecs(n, base int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid": "p%02d", "image": %q, "command": ["sleep", "%d"]}`, i, dockertest.Image, base+i)
	}
	return b.String() + "]"
}

// sleeperPid finds the host pid of the container process running
// "sleep <arg>" from /proc, as a user of the host would. (Asking the API
// server for it is not relied on: podman 4.3's service, under load, was
// seen failing to inspect a running container it had just listed.)
func sleeperPid(t *testing.T, arg int) int {
	t.Helper()
	pid := 0
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		if pid = findSleeper(arg); pid == 0 {
			return fmt.Errorf("no process runs sleep %d", arg)
		}
		return nil
	})
	return pid
}

// findSleeper returns the pid of the process running `sleep arg`, 0 if none.
func findSleeper(arg int) int {
	want := "sleep\x00" + strconv.Itoa(arg) + "\x00"
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && string(b) == want {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	return 0
}
