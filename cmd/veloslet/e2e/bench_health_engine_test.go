package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/store/storetest"
)

// healthWait bounds each wait of the health benchmark: N containers
// created on vfs storage on a loaded machine take minutes.
const healthWait = 15 * time.Minute

// poll polls fn once a second until it succeeds, for healthWait: the
// polls list a hundred containers or scrape serve, and must not load the
// engine they wait for.
func (h *healthBench) poll(fn func() error) {
	h.t.Helper()
	storetest.RetryUntil(h.t, time.Second, healthWait, fn)
}

// engineCPU is the CPU of the engine's processes: dockerd and everything
// under it (its containerd, the docker-proxies), the shims of its
// containerd (found by the socket address in their command line, under
// the exec root) and everything under them, each with what it has reaped:
// runc and an exec's process in the container end reaped by a shim.
func (h *healthBench) engineCPU() time.Duration {
	parent := map[int]int{}
	roots := map[int]bool{h.dockerd: true}
	shimAddr := "-address\x00" + filepath.Clean(h.execRoot) + "/"
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		_, ppid := statCPU(pid, false)
		parent[pid] = ppid
		if cmd, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline")); err == nil &&
			strings.Contains(string(cmd), "containerd-shim") && strings.Contains(string(cmd), shimAddr) {
			roots[pid] = true
		}
	}
	var total time.Duration
	for pid := range parent {
		for p, hops := pid, 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if roots[p] {
				cpu, _ := statCPU(pid, true)
				total += cpu
				break
			}
		}
	}
	return total
}

// countExecs counts the engine's exec_die events (one per exec, a probe
// of either side) from now until stop; count is read after stop.
func (h *healthBench) countExecs() (count func() int, stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := make(client.Filters).Add("type", "container").Add("event", "exec_die")
	res := dockertest.Client(h.t, h.rt).Events(ctx, client.EventsListOptions{Filters: f})
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-res.Messages:
				n++
			case err := <-res.Err:
				if err != nil && ctx.Err() == nil {
					h.t.Logf("the engine's event stream ended: %v", err) // the count stops short
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() int { return n }, func() { cancel(); <-done }
}

// scrape returns serve's /metrics samples by their full name with labels.
func (h *healthBench) scrape() (map[string]float64, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + h.metrics + "/metrics")
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// probeCount is the number of probes serve has run, of any kind.
func (h *healthBench) probeCount() float64 {
	h.t.Helper()
	m, err := h.scrape()
	if err != nil {
		h.t.Fatalf("metrics: %v", err)
	}
	n := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, "veloslet_probe_duration_seconds_count") {
			n += v
		}
	}
	return n
}

// waitProbes waits until every uid is healthy under probes of kind, two
// rounds of them run since the call.
func (h *healthBench) waitProbes(kind string) {
	h.t.Helper()
	key := fmt.Sprintf("veloslet_probe_duration_seconds_count{probe=%q}", kind)
	first := -1.0
	h.poll(func() error {
		m, err := h.scrape()
		if err != nil {
			return err
		}
		if first < 0 {
			first = m[key]
		}
		healthy := m[`veloslet_health{state="healthy"}`]
		if ran := m[key] - first; ran < float64(2*h.n) || healthy != float64(h.n) {
			return fmt.Errorf("%s probes: %.0f run, %.0f of %d healthy", kind, ran, healthy, h.n)
		}
		return nil
	})
}

// waitNoProbes waits until serve probes no uid.
func (h *healthBench) waitNoProbes() {
	h.t.Helper()
	h.poll(func() error {
		m, err := h.scrape()
		if err != nil {
			return err
		}
		n := 0.0
		for k, v := range m {
			if strings.HasPrefix(k, "veloslet_health{") {
				n += v
			}
		}
		if n != 0 {
			return fmt.Errorf("%.0f uids still probed", n)
		}
		return nil
	})
}

// list returns the engine's containers named with prefix, running ones
// only unless all; filters add the engine's own filters.
func (h *healthBench) list(prefix string, all bool, filters client.Filters) []container.Summary {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := dockertest.Client(h.t, h.rt).ContainerList(ctx, client.ContainerListOptions{All: all, Filters: filters})
	if err != nil {
		h.t.Fatalf("list containers: %v", err)
	}
	var out []container.Summary
	for _, c := range res.Items {
		if slices.ContainsFunc(c.Names, func(n string) bool { return strings.HasPrefix(n, "/"+prefix) }) {
			out = append(out, c)
		}
	}
	return out
}

// waitRunning waits until n containers named with prefix run.
func (h *healthBench) waitRunning(prefix string, n int) {
	h.t.Helper()
	h.poll(func() error {
		if got := len(h.list(prefix, false, nil)); got < n {
			return fmt.Errorf("%d of %d %s… running", got, n, prefix)
		}
		return nil
	})
}

// removeAll removes every container named with prefix, eight at a time.
func (h *healthBench) removeAll(prefix string) {
	h.t.Helper()
	c := dockertest.Client(h.t, h.rt)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for _, s := range h.list(prefix, true, nil) {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_, _ = c.ContainerRemove(ctx, s.ID, client.ContainerRemoveOptions{Force: true})
		}()
	}
	wg.Wait()
}

// runNatives runs N containers of the engine's own with the same command
// as ours (no published port: the engine's probe goes in by exec), with
// the exec probe as HEALTHCHECK when hc, and waits until they run.
func (h *healthBench) runNatives(hc bool) {
	h.t.Helper()
	c := dockertest.Client(h.t, h.rt)
	cfg := container.Config{Image: podmantest.Image, Cmd: []string{"sh", "-c", healthHTTPD}}
	if hc {
		cfg.Healthcheck = &container.HealthConfig{Test: append([]string{"CMD"}, benchHealthCmd...),
			Interval: benchHealthInterval, Timeout: benchHealthTimeout, Retries: 3}
	}
	for i := range h.n {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		conf := cfg
		res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{Name: fmt.Sprintf("%s%03d", h.nativePrefix, i),
			Config:     &conf,
			HostConfig: &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}})
		if err == nil {
			_, err = c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{})
		}
		cancel()
		if err != nil {
			h.t.Fatalf("native %d: %v", i, err)
		}
	}
	h.waitRunning(h.nativePrefix, h.n)
}

// waitNativesHealthy waits until the engine reports every native healthy,
// and then one more interval.
func (h *healthBench) waitNativesHealthy() {
	h.t.Helper()
	f := make(client.Filters).Add("health", "healthy")
	h.poll(func() error {
		if got := len(h.list(h.nativePrefix, false, f)); got < h.n {
			return fmt.Errorf("%d of %d natives healthy", got, h.n)
		}
		return nil
	})
	time.Sleep(benchHealthInterval) // not waiting for an effect: steady state before measuring
}
