package podman_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// cmdlineProbe reads every /proc/*/cmdline in a tight loop, as any local
// user can, and remembers each command line that holds one of the secrets
// and how many podman runs it saw.
type cmdlineProbe struct {
	secrets []string
	mu      sync.Mutex
	leaks   []string
	runs    atomic.Int64 // `podman run` command lines seen
	scans   atomic.Int64
	stop    chan struct{}
	done    chan struct{}
}

func startProbe(secrets ...string) *cmdlineProbe {
	p := &cmdlineProbe{secrets: secrets, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		seen := map[string]bool{}
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
			for _, path := range paths {
				b, err := os.ReadFile(path)
				if err != nil || len(b) == 0 {
					continue
				}
				line := string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
				if strings.Contains(line, "podman run") && !seen[path] {
					seen[path] = true
					p.runs.Add(1)
				}
				for _, s := range p.secrets {
					if strings.Contains(line, s) {
						p.mu.Lock()
						p.leaks = append(p.leaks, line)
						p.mu.Unlock()
					}
				}
			}
			p.scans.Add(1)
		}
	}()
	return p
}

func (p *cmdlineProbe) finish() []string {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaks
}

// TestRun_EnvNeverInCmdline launches, relaunches and replaces an instance
// with secret env values on real podman while a probe reads every process's
// command line: no value may appear there, and every value (a key podman
// reads itself, PATH, included) must reach the container exactly.
func TestRun_EnvNeverInCmdline(t *testing.T) {
	rt := podmantest.New(t)
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	sup := supervisor.New(db, rt)
	sup.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	pass := func(want store.EventKind) {
		t.Helper()
		res, err := sup.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerManual})
		if err != nil {
			t.Fatalf("pass: %v", err)
		}
		evs, err := db.FindEvents(ctx, store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.PassID != nil && *ev.PassID == res.ID && ev.Kind == want {
				return
			}
		}
		t.Fatalf("pass %d: no %s event", res.ID, want)
	}
	const secret1, secret2 = "s3cr3t-probe-one", "s3cr3t-probe-two"
	probe := startProbe(secret1, secret2)
	spec := store.Spec{UID: "sec",
		Container: spec.Container{Image: podmantest.Image, Command: podmantest.ExitCommand, Env: map[string]string{"API_TOKEN": secret1, "PATH": "/bin:/sbin:/usr/bin", "MULTI": "a\nb"}}}

	storetest.MustApply(t, db, spec)
	pass(store.EventLaunched)
	podmantest.Exit(t, rt, "sec", 3)
	storetest.RetryUntil(t, 50*time.Millisecond, 30*time.Second, func() error {
		list, err := rt.List(ctx)
		if err == nil && (len(list) != 1 || list[0].State != runtime.StateExited) {
			err = fmt.Errorf("not exited yet: %v", list)
		}
		return err
	})
	pass(store.EventRelaunched)
	spec.Env["API_TOKEN"] = secret2
	storetest.MustApply(t, db, spec)
	pass(store.EventReplaced)

	leaks := probe.finish()
	if len(leaks) > 0 {
		t.Fatalf("env values on a command line: %q", leaks)
	}
	if probe.runs.Load() == 0 {
		t.Fatalf("the probe saw no `podman run` in %d scans: it proves nothing", probe.scans.Load())
	}
	t.Logf("%d scans of /proc/*/cmdline saw %d podman runs and no env value", probe.scans.Load(), probe.runs.Load())

	cmd := exec.Command(rt.Binary, "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", rt.Prefix+"sec")
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	for _, want := range []string{"API_TOKEN=" + secret2, "PATH=/bin:/sbin:/usr/bin", "MULTI=a"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("container env %q lacks %q", out, want)
		}
	}
}
