package docker_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/spec"
)

// probe reads every /proc/*/cmdline in a loop, as any local user can,
// keeping each command line that holds a secret, and counting the container
// processes (the containers' own commands) it saw, so that a probe that
// read nothing during the launches fails the test rather than passing it.
type probe struct {
	secrets  []string
	marker   string
	mu       sync.Mutex
	leaks    []string
	seen     atomic.Int64
	stopping chan struct{}
	done     chan struct{}
}

func startProbe(marker string, secrets ...string) *probe {
	p := &probe{secrets: secrets, marker: marker, stopping: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stopping:
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
				if strings.Contains(line, p.marker) {
					p.seen.Add(1)
				}
				for _, s := range p.secrets {
					if strings.Contains(line, s) {
						p.mu.Lock()
						p.leaks = append(p.leaks, line)
						p.mu.Unlock()
					}
				}
			}
		}
	}()
	return p
}

func (p *probe) stop() []string {
	close(p.stopping)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaks
}

// TestRun_EnvNeverInCmdline launches, restarts in place and relaunches an
// instance with secret env values while the probe reads every process's
// command line: no value may appear in any (the backend's, the API
// server's, conmon's or runc's), and each must reach the container exactly.
func TestRun_EnvNeverInCmdline(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx := ctxT(t)
	const secret1, secret2, marker = "s3cr3t-probe-one", "s3cr3t-probe-two", "98765"
	spec := runtime.RunSpec{UID: "sec",
		Container: spec.Container{Image: dockertest.Image, Command: []string{"sleep", marker}, Env: map[string]string{"API_TOKEN": secret1, "PATH": "/bin", "MULTI": "x\n" + secret2}},
		StoreID:   "s1"}
	p := startProbe("sleep "+marker, secret1, secret2)
	id, err := rt.Run(ctx, spec)
	if err != nil {
		p.stop()
		t.Fatal(err)
	}
	out, err := dockertest.Exec(ctx, rt, string(id), "sh", "-c", `printf '%s|%s' "$API_TOKEN" "$MULTI"`)
	if err != nil || out != secret1+"|x\n"+secret2 {
		p.stop()
		t.Fatalf("env in the container: %q, %v", out, err)
	}
	if err := rt.Stop(ctx, "sec"); err != nil {
		p.stop()
		t.Fatal(err)
	}
	if err := rt.Start(ctx, id); err != nil {
		p.stop()
		t.Fatal(err)
	}
	if err := rt.Remove(ctx, "sec"); err != nil {
		p.stop()
		t.Fatal(err)
	}
	if _, err := rt.Run(ctx, spec); err != nil {
		p.stop()
		t.Fatal(err)
	}
	poll(t, func() error {
		if in := find(t, rt, "sec"); in == nil || in.State != runtime.StateRunning {
			return os.ErrNotExist
		}
		return nil
	})
	// The probe must have read the running container's command line at
	// least once: on a loaded machine its scan of /proc can lag the calls.
	poll(t, func() error {
		if p.seen.Load() == 0 {
			return errors.New("the probe never saw a container's process: it proves nothing")
		}
		return nil
	})
	leaks := p.stop()
	if len(leaks) > 0 {
		t.Fatalf("env values on command lines:\n%s", strings.Join(leaks, "\n"))
	}
	t.Logf("probe saw the container's command line %d times; no env value anywhere", p.seen.Load())
}
