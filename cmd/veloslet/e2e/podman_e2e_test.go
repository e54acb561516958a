package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/store"
)

func podmanEnv(t *testing.T) (*testEnv, *podman.Runtime) {
	rt := podmantest.New(t)
	e := newTestEnv(t, "")
	e.UsePodman(rt.Prefix)
	return e, rt
}

// running lists the backend's instances by uid and counts the running ones.
func running(t *testing.T, rt *podman.Runtime) (map[string]runtime.Instance, int) {
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

// killMain SIGKILLs uid's main process and returns its pid.
func killMain(t *testing.T, rt *podman.Runtime, uid string) int {
	t.Helper()
	pid, err := pidOf(rt, uid)
	if err != nil || pid <= 0 {
		t.Fatalf("pid of %s: %d, %v", uid, pid, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s (pid %d): %v", uid, pid, err)
	}
	return pid
}

// pidOf returns the pid of uid's main process, 0 when it does not run.
func pidOf(rt *podman.Runtime, uid string) (int, error) {
	cmd := exec.Command(rt.Binary, "inspect", "--format", "{{.State.Pid}}", rt.Prefix+uid)
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("inspect %s: %w", uid, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// relaunched reports whether uid runs again after its process pid was
// killed: a new container, or the same one started in place (a new pid).
func relaunched(rt *podman.Runtime, before, now runtime.Instance, killedPid int) bool {
	if now.State != runtime.StateRunning {
		return false
	}
	if now.ID != before.ID {
		return true
	}
	pid, err := pidOf(rt, now.UID)
	return err == nil && pid > 0 && pid != killedPid
}

// TestServe_Podman is the end-to-end run with real podman: 10 specs, deaths
// relaunched by the event stream (cron is an hour), then a SIGKILLed daemon
// whose specs change while it is down. (TestSoak_ChaosPodman is the large
// run; this one is about the paths, and its size is its time.)
func TestServe_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	ctx := context.Background()
	hand := exec.Command(rt.Binary, "run", "-d", "--name", rt.Prefix+"byhand", podmantest.Image, "sleep", "100000")
	hand.Env = append(os.Environ(), rt.Env...)
	if out, err := hand.CombinedOutput(); err != nil {
		t.Fatalf("start a container by hand: %v: %s", err, out)
	}
	e.mustRun(clitest.PodmanSpecs(10, podmantest.Image), "apply", "-f", "-")
	d := e.Serve(rt.Env...)
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		if _, n := running(t, rt); n != 11 {
			return fmt.Errorf("%d of 11 running", n)
		}
		return nil
	})
	db := e.OpenDB()

	// Deaths: 2 rounds of 5 kills, each timed until its replacement runs.
	var delays []time.Duration
	for round := range 2 {
		before, _ := running(t, rt)
		victims := []string{}
		for i := range 5 {
			victims = append(victims, fmt.Sprintf("p%02d", round*5+i))
		}
		killed, pids := map[string]time.Time{}, map[string]int{}
		for _, uid := range victims {
			pids[uid] = killMain(t, rt, uid)
			killed[uid] = time.Now()
		}
		done := map[string]bool{}
		clitest.PollFor(t, clitest.PodmanTimeout, func() error {
			now, _ := running(t, rt)
			for _, uid := range victims {
				if !done[uid] && relaunched(rt, before[uid], now[uid], pids[uid]) {
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
	// A replacement runs before the daemon records it (the run, then the
	// record of the exit and the relaunch): wait for the records too.
	var exits []*store.Event
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		var err error
		if exits, err = db.FindEvents(ctx, store.EventFilter{Kind: store.EventExited}); err != nil {
			return err
		}
		if len(exits) != 10 {
			return fmt.Errorf("%d exited events, want 10", len(exits))
		}
		return nil
	})
	for _, ev := range exits {
		if ev.ExitCode == nil || *ev.ExitCode != 137 {
			t.Fatalf("exited event %+v: want exit code 137", ev)
		}
	}
	wantEventPassesOnly(t, db)

	// SIGKILL the daemon; while it is down delete 3 specs and change 2.
	if err := d.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	d.Wait(t)
	before, _ := running(t, rt)
	e.mustRun("", "delete", "p07", "p08", "p09")
	changed := `[{"uid": "p00", "image": "` + podmantest.Image + `", "command": ["sleep", "100001"]},
		{"uid": "p01", "image": "` + podmantest.Image + `", "command": ["sleep", "100000"], "env": {"V": "2"}}]`
	e.mustRun(changed, "apply", "-f", "-")
	last := lastEventID(t, db)
	e.Serve(rt.Env...)
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		now, n := running(t, rt)
		for _, uid := range []string{"p07", "p08", "p09"} {
			if _, ok := now[uid]; ok {
				return fmt.Errorf("%s not removed yet", uid)
			}
		}
		for _, uid := range []string{"p00", "p01"} {
			if now[uid].ID == before[uid].ID || now[uid].Generation() != 2 {
				return fmt.Errorf("%s not replaced yet", uid)
			}
		}
		if n != 8 {
			return fmt.Errorf("%d running, want 7 specs and the hand-made one", n)
		}
		return nil
	})
	now, _ := running(t, rt)
	for i := 2; i < 7; i++ {
		uid := fmt.Sprintf("p%02d", i)
		if now[uid].ID != before[uid].ID {
			t.Errorf("%s was replaced (%s → %s); want it resumed untouched", uid, before[uid].ID, now[uid].ID)
		}
	}
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		evs, _ := db.FindEvents(ctx, store.EventFilter{AfterID: last, Kind: store.EventResumed})
		if len(evs) != 5 {
			return fmt.Errorf("%d resumed events after the restart, want 5", len(evs))
		}
		return nil
	})
	if in := now["byhand"]; in.State != runtime.StateRunning || in.StoreID() != "" {
		t.Fatalf("the hand-made container was touched: %+v", in)
	}
	evs, _ := db.FindEvents(ctx, store.EventFilter{UID: "byhand", Kind: store.EventForeign})
	if len(evs) != 1 {
		t.Fatalf("%d foreign events for the hand-made container, want 1", len(evs))
	}
}

func lastEventID(t *testing.T, db *store.DB) int64 {
	t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{Limit: 1})
	if err != nil || len(evs) == 0 {
		t.Fatalf("events: %v", err)
	}
	return evs[0].ID
}
