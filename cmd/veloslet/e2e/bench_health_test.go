package e2e

import (
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Sizes of the health probes' cost benchmark; VELOSLET_BENCH_HEALTH_N and
// VELOSLET_BENCH_HEALTH_WINDOW make a smaller run to try it out.
const (
	benchHealthN        = 100
	benchHealthWindow   = 60 * time.Second
	benchHealthInterval = 2 * time.Second
	// benchHealthTimeout is both sides' probe timeout: generous, since
	// the exec probes load the machine; a probe timing out on a loaded
	// machine would measure a restart instead of a probe. For the same
	// reason veloslet's probes only report (on_failure = "none"), as the
	// engine's HEALTHCHECK does.
	benchHealthTimeout = 10 * time.Second
)

// benchHealthCmd is the exec probe both sides run: a read of a file the
// engine puts in every container, as a real check (pg_isready) reads a
// socket: one short process inside the container.
var benchHealthCmd = []string{"cat", "/etc/hostname"}

// TestBenchHealth is the health probes' part of `make bench-e2e-dockerd`
// (alone: `make bench-health-dockerd`): on a Docker Engine, side by side in
// one run, the CPU over a minute of
//   - serve supervising N running containers with no probe (idle), then
//     with the same exec probe every 2 s on each, then with an http probe
//     to each one's published port, then with no probe again;
//   - the engine alone running N containers of its own without a
//     HEALTHCHECK, then N with the same exec probe as HEALTHCHECK every 2 s.
//
// veloslet's figure is serve's CPU and every process it spawns; the
// engine's is dockerd's, its containerd's, its docker-proxies' and the
// shims' with everything they reap (runc, the probe's process in the
// container): an exec probe's work is mostly there on both sides. It is a
// measurement, not a check.
func TestBenchHealth(t *testing.T) {
	if os.Getenv("VELOSLET_BENCH_E2E") != "1" {
		t.Skip("the end-to-end benchmark runs under make bench-e2e-dockerd (VELOSLET_BENCH_E2E=1)")
	}
	if goruntime.GOOS != "linux" {
		t.Skip("reads CPU times and command lines from /proc, which only Linux has")
	}
	pid, _ := strconv.Atoi(os.Getenv("VELOSLET_DOCKERD_PID"))
	execRoot := os.Getenv("VELOSLET_DOCKERD_EXEC_ROOT")
	if os.Getenv(dockertest.HostEnv) == "" || pid == 0 || execRoot == "" {
		t.Skip("compares with a Docker Engine's own health checks: needs the dockerd of make bench-e2e-dockerd " +
			"(VELOSLET_DOCKER_HOST, VELOSLET_DOCKERD_PID, VELOSLET_DOCKERD_EXEC_ROOT)")
	}
	h := newHealthBench(t, pid, execRoot)
	h.report("health probes' cost on %s (dockerd pid %d): %d containers, probes every %s, windows of %s; load average at start: %s",
		h.srv.Host, pid, h.n, benchHealthInterval, h.window, loadAvg())

	ports := freePorts(t, h.n, h.metrics)
	h.apply(ports, "")
	d := h.e.ServeWith(h.bin)
	h.waitRunning(h.rt.Prefix, h.n)
	time.Sleep(15 * time.Second) // let the last passes and their records finish before measuring
	idle := h.measure("veloslet, no probe", d)

	h.apply(ports, "cmd")
	h.waitProbes("cmd")
	execW := h.measure("veloslet, exec probe", d)

	h.apply(ports, "http")
	h.waitProbes("http")
	httpW := h.measure("veloslet, http probe", d)

	h.apply(ports, "")
	h.waitNoProbes()
	time.Sleep(10 * time.Second) // the pass that dropped the probes and its records
	idle2 := h.measure("veloslet, no probe again", d)

	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.Wait(t)
	h.removeAll(h.rt.Prefix)

	h.runNatives(false)
	time.Sleep(15 * time.Second) // as for ours
	base := h.measure("engine, no HEALTHCHECK", nil)
	h.removeAll(h.nativePrefix)
	h.runNatives(true)
	h.waitNativesHealthy()
	hc := h.measure("engine, HEALTHCHECK", nil)
	h.removeAll(h.nativePrefix)

	h.summary(idle, execW, httpW, idle2, base, hc)
	h.report("load average at end: %s", loadAvg())
}

// healthBench is the benchmark's setup: a plain serve on the engine, and
// the engine's process tree.
type healthBench struct {
	t            *testing.T
	n            int
	window       time.Duration
	srv          *dockertest.Server
	rt           *docker.Runtime
	e            *testEnv
	bin          string
	metrics      string // serve's /metrics address
	dockerd      int
	execRoot     string
	nativePrefix string
}

func newHealthBench(t *testing.T, dockerd int, execRoot string) *healthBench {
	n, window := benchHealthN, benchHealthWindow
	if s := os.Getenv("VELOSLET_BENCH_HEALTH_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("VELOSLET_BENCH_HEALTH_N=%q: want a count of containers", s)
		}
		n = v
	}
	if s := os.Getenv("VELOSLET_BENCH_HEALTH_WINDOW"); s != "" {
		v, err := time.ParseDuration(s)
		if err != nil || v <= 0 {
			t.Fatalf("VELOSLET_BENCH_HEALTH_WINDOW=%q: want a duration", s)
		}
		window = v
	}
	srv := dockertest.Start(t)
	rt := srv.Runtime(t)
	h := &healthBench{t: t, n: n, window: window, srv: srv, rt: rt, e: newTestEnv(t, ""),
		bin: clitest.PlainBin(t), dockerd: dockerd, execRoot: execRoot,
		metrics:      fmt.Sprintf("127.0.0.1:%d", runtimetest.FreePort(t)),
		nativePrefix: "hcnative-" + strings.TrimSuffix(rt.Prefix, "-") + "-"}
	// As shipped (default schedule, resync, probe concurrency), on the
	// engine, with /metrics on for the probe counts.
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "docker"
name_prefix = %q
stop_timeout = "1s"
[runtime.docker]
host = %q
[http]
listen = %q
`, h.e.DB, rt.Prefix, srv.Host, h.metrics)
	if err := os.WriteFile(h.e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.removeAll(rt.Prefix); h.removeAll(h.nativePrefix) })
	return h
}

func (h *healthBench) report(format string, args ...any) {
	fmt.Printf(format+"\n", args...)
}

// apply applies the N specs: busybox httpd on a published port each, with
// the probe kind ("cmd", "http") or none (""), each with the
// benchHealthTimeout, reporting only. The probe is not part of
// the spec's hash: the containers stay the same throughout.
func (h *healthBench) apply(ports []uint16, kind string) {
	h.t.Helper()
	var specs []string
	for i, p := range ports {
		health := ""
		switch kind {
		case "cmd":
			health = fmt.Sprintf(`, "health": {"cmd": [%q, %q], "interval": %q, "timeout": %q, "on_failure": "none"}`,
				benchHealthCmd[0], benchHealthCmd[1], benchHealthInterval, benchHealthTimeout)
		case "http":
			health = fmt.Sprintf(`, "health": {"http": "http://127.0.0.1:%d/", "interval": %q, "timeout": %q, "on_failure": "none"}`,
				p, benchHealthInterval, benchHealthTimeout)
		}
		specs = append(specs, fmt.Sprintf(`{"uid": "h%03d", "image": %q, "restart": "always", `+
			`"command": ["sh", "-c", %q], "ports": ["127.0.0.1:%d:8080"]%s}`,
			i, podmantest.Image, healthHTTPD, p, health))
	}
	h.e.mustRun("["+strings.Join(specs, ",")+"]", "apply", "-f", "-")
}

// healthHTTPD serves a page on 8080, as the contract's port case does.
const healthHTTPD = `busybox mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www`

// windowCPU is one measured window.
type windowCPU struct {
	name     string
	veloslet time.Duration // serve and its children (0: not running)
	engine   time.Duration // dockerd's tree and the shims'
	execs    int           // exec_die events of the engine over the window
	probes   float64       // probes serve ran over the window (its /metrics)
}

// measure reads the CPU of serve (d, nil when not running) and of the
// engine over the window, and counts the execs the engine ran and the
// probes serve ran.
func (h *healthBench) measure(name string, d *clitest.Daemon) windowCPU {
	h.t.Helper()
	w := windowCPU{name: name}
	before := 0.0
	if d != nil {
		before = h.probeCount()
	}
	count, stop := h.countExecs()
	serve := func() time.Duration {
		if d == nil {
			return 0
		}
		return treeCPU(d.Cmd.Process.Pid)
	}
	v0, e0 := serve(), h.engineCPU()
	time.Sleep(h.window) // the measured interval itself
	v1, e1 := serve(), h.engineCPU()
	stop()
	w.veloslet, w.engine, w.execs = v1-v0, e1-e0, count()
	if d != nil {
		w.probes = h.probeCount() - before
	}
	h.report("  %-28s veloslet %6.2f s  engine %6.2f s  execs %5d  probes %5.0f  load %s",
		name, w.veloslet.Seconds(), w.engine.Seconds(), w.execs, w.probes, loadAvg())
	return w
}

// summary prints the comparisons the health issue asks for: an exec probe
// on veloslet against the engine's HEALTHCHECK, an http probe against a
// tenth of that, the idle figure before and after.
func (h *healthBench) summary(idle, execW, httpW, idle2, base, hc windowCPU) {
	docker := hc.engine - base.engine
	h.report("over %s each, %d containers, one probe each every %s:", h.window, h.n, benchHealthInterval)
	h.report("  engine's HEALTHCHECK: the engine %.2f s beyond its idle %.2f s (%d execs, %s CPU each)",
		docker.Seconds(), base.engine.Seconds(), hc.execs, perExec(docker, hc.execs))
	for _, w := range []windowCPU{execW, httpW} {
		own, engine := w.veloslet-idle.veloslet, w.engine-idle.engine
		h.report("  %s: veloslet %.2f s (%.2f s beyond its idle), the engine %.2f s beyond its idle; together %.2f s beyond (%.0f probes, %s CPU each)",
			w.name, w.veloslet.Seconds(), own.Seconds(), engine.Seconds(), (own + engine).Seconds(), w.probes, perExec(own+engine, int(w.probes)))
		h.report("    ratio to the engine's HEALTHCHECK: veloslet alone %.3f (all of its CPU %.3f), with the engine's part %.3f",
			ratio(own, docker), ratio(w.veloslet, docker), ratio(own+engine, docker))
	}
	h.report("  idle, no probe: veloslet %.2f s before the probes, %.2f s after; the engine %.2f s and %.2f s",
		idle.veloslet.Seconds(), idle2.veloslet.Seconds(), idle.engine.Seconds(), idle2.engine.Seconds())
}

// perExec is cpu per exec (or probe), or "-" for none.
func perExec(cpu time.Duration, n int) string {
	if n <= 0 {
		return "-"
	}
	return (cpu / time.Duration(n)).Round(10 * time.Microsecond).String()
}

// freePorts returns n distinct ports that were free a moment ago, none of
// them taken's (an address): the kernel may hand out one port twice to
// listeners opened and closed in turn.
func freePorts(t *testing.T, n int, taken string) []uint16 {
	t.Helper()
	seen := map[uint16]bool{}
	if _, p, err := net.SplitHostPort(taken); err == nil {
		v, _ := strconv.Atoi(p)
		seen[uint16(v)] = true
	}
	var out []uint16
	for len(out) < n {
		if p := runtimetest.FreePort(t); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
