package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// composeTwoServices is the end-to-end project: web serves a page naming its
// boot (a fresh uuid each start) on 8080, with a healthcheck fetching it;
// client, started once web is healthy, fetches it by service name five
// times a second. (No `wget -T`: busybox 1.35's static build segfaults
// with it.)
const composeTwoServices = `name: %s
services:
  web:
    image: %s
    restart: always
    command: ["sh", "-c", "mkdir -p /www && echo page-from-web $$(cat /proc/sys/kernel/random/uuid) > /www/index.html && exec busybox httpd -f -p 8080 -h /www"]
    healthcheck:
      test: ["CMD", "busybox", "wget", "-q", "-O", "/dev/null", "http://localhost:8080/"]
      interval: 500ms
      retries: 3
  client:
    image: %s
    restart: always
    depends_on:
      web:
        condition: service_healthy
    command: ["sh", "-c", "while :; do busybox wget -q -O - http://web:8080/ || echo fetch failed; sleep 0.2; done"]
`

// pollCLI polls fn, which runs CLI calls (podman, veloslet logs), at an
// interval that leaves the cores to the containers under test.
func pollCLI(t *testing.T, fn func() error) {
	t.Helper()
	storetest.RetryUntil(t, 200*time.Millisecond, clitest.PodmanTimeout, fn)
}

var pageLine = regexp.MustCompile(`(?m)^page-from-web ([0-9a-f-]{36})$`)

// composeBackend is what the end-to-end run needs of a real backend.
type composeBackend struct {
	rt      runtime.Runtime
	procEnv []string // for serve and the CLI beside it
	// kill SIGKILLs the container named name, as `podman kill` does.
	kill func(name string) error
	// hasNetwork reports whether the network exists.
	hasNetwork func(name string) (bool, error)
}

// runComposeE2E applies a two-service compose project and serves it: the
// client's logs show the page fetched by service name; web killed is
// relaunched and the client fetches the new page; `delete --project`
// removes both containers and then the project's network.
func runComposeE2E(t *testing.T, e *testEnv, prefix string, be composeBackend) {
	ctx := context.Background()
	project := strings.TrimSuffix(prefix, "-") // unique per test: the network is not prefixed
	network := project + "_default"
	web, cli := project+"-web", project+"-client"
	t.Cleanup(func() { // before the harness's: the network goes once its containers have
		list, _ := be.rt.List(ctx)
		for _, in := range list {
			_ = be.rt.RemoveInstance(ctx, in.ID)
		}
		if nm, ok := be.rt.(runtime.NetworkManager); ok {
			_ = nm.RemoveNetwork(ctx, network)
		}
	})
	file := filepath.Join(t.TempDir(), "compose.yaml")
	text := fmt.Sprintf(composeTwoServices, project, podmantest.Image, podmantest.Image)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	clitest.Bin(t) // built before the clock starts
	start := time.Now()
	e.mustRun("", "apply", "-f", file)
	e.Serve(be.procEnv...)

	list := func() map[string]runtime.Instance {
		l, err := be.rt.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return clitest.ByUID(l)
	}
	logs := func() (string, error) {
		cmd := e.Command("logs", cli)
		cmd.Env = append(cmd.Env, be.procEnv...)
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return "", fmt.Errorf("veloslet logs %s: %w: %s", cli, err, ee.Stderr)
			}
			return "", err
		}
		return string(out), nil
	}
	t.Cleanup(func() { // runs before serve's: the client still runs
		if t.Failed() {
			out, err := logs()
			t.Logf("client's logs (%v):\n%s", err, lastLines(out, 40))
		}
	})
	// pages returns the boots of web the client has fetched, in order.
	pages := func() ([]string, error) {
		out, err := logs()
		var seen []string
		for _, m := range pageLine.FindAllStringSubmatch(out, -1) {
			if len(seen) == 0 || seen[len(seen)-1] != m[1] {
				seen = append(seen, m[1])
			}
		}
		return seen, err
	}

	var first string
	pollCLI(t, func() error {
		seen, err := pages()
		if err != nil {
			return err
		}
		if len(seen) == 0 {
			return fmt.Errorf("no page fetched by the client yet")
		}
		first = seen[0]
		return nil
	})
	t.Logf("apply to the first page fetched by service name: %s", time.Since(start).Round(time.Millisecond))
	if ok, err := be.hasNetwork(network); err != nil || !ok {
		t.Fatalf("network %s: exists %v, %v", network, ok, err)
	}
	before := list()
	if before[web].StoreID() == "" || before[cli].State != runtime.StateRunning {
		t.Fatalf("instances before the kill: %+v", before)
	}

	db := e.OpenDB()
	launched := map[string]time.Time{}
	for _, uid := range []string{web, cli} {
		evs, err := db.FindEvents(ctx, store.EventFilter{UID: uid, Kind: store.EventLaunched})
		if err != nil || len(evs) != 1 {
			t.Fatalf("launched events of %s: %+v, %v", uid, evs, err)
		}
		launched[uid] = evs[0].At.Time()
	}
	if !launched[cli].After(launched[web]) { // depends_on: web healthy first
		t.Fatalf("client launched at %s, web at %s: want the client after web", launched[cli], launched[web])
	}
	killed := time.Now()
	if err := be.kill(prefix + web); err != nil {
		t.Fatalf("kill web: %v", err)
	}
	pollCLI(t, func() error {
		seen, err := pages()
		if err != nil {
			return err
		}
		if len(seen) == 0 || seen[len(seen)-1] == first {
			return fmt.Errorf("the client still shows only web's first boot %s (%d boots seen)", first, len(seen))
		}
		return nil
	})
	t.Logf("web killed to the client fetching the relaunched web's page: %s", time.Since(killed).Round(time.Millisecond))
	evs, err := db.FindEvents(ctx, store.EventFilter{UID: web, Kind: store.EventExited})
	if err != nil || len(evs) != 1 || evs[0].ExitCode == nil || *evs[0].ExitCode != 137 {
		t.Fatalf("exited events of %s: %+v, %v; want one with code 137", web, evs, err)
	}
	if now := list(); now[cli].ID != before[cli].ID {
		t.Fatalf("client was replaced (%s → %s); only web died", before[cli].ID, now[cli].ID)
	}

	out := e.mustRun("", "status", "--project", project)
	if !strings.Contains(out, web) || !strings.Contains(out, cli) {
		t.Fatalf("status --project %s:\n%s", project, out)
	}
	deleted := time.Now()
	e.mustRun("", "delete", "--project", project)
	pollCLI(t, func() error {
		now := list()
		for _, uid := range []string{web, cli} {
			if _, ok := now[uid]; ok {
				return fmt.Errorf("%s not removed yet", uid)
			}
		}
		return nil
	})
	t.Logf("delete --project to both containers gone: %s", time.Since(deleted).Round(time.Millisecond))
	// The network goes at the end of a full pass that wants it no more:
	// the one that removed the containers, or the next one asked for.
	pollCLI(t, func() error {
		ok, err := be.hasNetwork(network)
		if err != nil || !ok {
			return err
		}
		if _, errOut, code := e.run("", "reconcile"); code != 0 {
			return fmt.Errorf("reconcile: exit %d: %s", code, errOut)
		}
		return fmt.Errorf("network %s still there", network)
	})
	t.Logf("delete --project to the network gone: %s", time.Since(deleted).Round(time.Millisecond))
	logTimeline(t, db, start)
}

// TestCompose_Podman: the compose end to end on real podman. The harness's
// containers.conf says netns = "none"; the spec's network overrides it.
func TestCompose_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	podman := func(args ...string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, rt.Binary, args...)
		cmd.Env = append(os.Environ(), rt.Env...)
		return cmd.CombinedOutput()
	}
	runComposeE2E(t, e, rt.Prefix, composeBackend{
		rt: rt, procEnv: rt.Env,
		kill: func(name string) error {
			if out, err := podman("kill", name); err != nil {
				return fmt.Errorf("podman kill %s: %w: %s", name, err, out)
			}
			return nil
		},
		hasNetwork: func(name string) (bool, error) {
			out, err := podman("network", "exists", name)
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 1 {
				return false, nil
			}
			if err != nil {
				return false, fmt.Errorf("podman network exists %s: %w: %s", name, err, out)
			}
			return true, nil
		},
	})
}

// TestCompose_Docker: the same on the docker backend (podman's API service,
// or the dockerd VELOSLET_DOCKER_HOST names).
func TestCompose_Docker(t *testing.T) {
	t.Parallel()
	e, rt := dockerEnv(t)
	api := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), time.Minute)
	}
	runComposeE2E(t, e, rt.Prefix, composeBackend{
		rt: rt,
		kill: func(name string) error {
			ctx, cancel := api()
			defer cancel()
			_, err := dockertest.Client(t, rt).ContainerKill(ctx, name, client.ContainerKillOptions{Signal: "KILL"})
			return err
		},
		hasNetwork: func(name string) (bool, error) {
			ctx, cancel := api()
			defer cancel()
			_, err := dockertest.Client(t, rt).NetworkInspect(ctx, name, client.NetworkInspectOptions{})
			if cerrdefs.IsNotFound(err) {
				return false, nil
			}
			return err == nil, err
		},
	})
}

// logTimeline logs the run's events, timed from start: where the time went.
func logTimeline(t *testing.T, db *store.DB, start time.Time) {
	t.Helper()
	evs, err := db.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		fmt.Fprintf(&b, "\n  %8s %-12s %s %s", ev.At.Time().Sub(start).Round(time.Millisecond), ev.Kind, ev.UID, ev.Reason)
	}
	t.Logf("events:%s", b.String())
}
