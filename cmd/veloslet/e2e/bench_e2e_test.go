package e2e

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// Sizes of the end-to-end benchmark.
const (
	benchKills     = 25  // single kills of each side
	benchRounds    = 5   // rounds of simultaneous kills of each side
	benchTogether  = 5   // instances killed at once in a round
	benchIdleSpecs = 100 // specs serve supervises while idle CPU is measured
	benchIdle      = 60 * time.Second
)

// TestBenchE2E is `make bench-e2e`: veloslet beside podman's own
// --restart=always on real podman, interleaved so that the machine's noise
// hits both, once with the podman backend (the CLI) and once with the docker
// backend (podman's Engine API service, whose CPU is counted as serve's). It
// measures kill -9 → running again one at a time (beside a bare event →
// start loop on the same backend, the floor of any supervisor outside the
// runtime) and five at once, then the CPU a plain serve spends over a
// minute with 100 converged specs beside a bare `podman events` over the
// same minute (and, for the docker backend, the service's or the engine's
// CPU with no client over the next minute), and prints medians and ratios.
// It is a measurement, not a check: the figures depend on the machine and
// its load, which it prints with them.
func TestBenchE2E(t *testing.T) {
	if os.Getenv("VELOSLET_BENCH_E2E") != "1" {
		t.Skip("the end-to-end benchmark runs under make bench-e2e (VELOSLET_BENCH_E2E=1)")
	}
	if goruntime.GOOS != "linux" {
		t.Skip("reads CPU times and command lines from /proc, which only Linux has")
	}
	for _, backend := range []string{"podman", "docker"} {
		t.Run(backend, func(t *testing.T) { benchE2E(t, backend) })
	}
}

func benchE2E(t *testing.T, backend string) {
	rt := podmantest.New(t)
	conf, service, host, engine := "backend = \"podman\"\n", 0, "", ""
	if backend == "docker" {
		// A podman API service on podmantest's storage (the natives run
		// beside it as before), or VELOSLET_DOCKER_HOST's server, a Docker
		// Engine, whose natives are its own.
		s := dockertest.Start(t)
		conf, service, host = fmt.Sprintf("backend = \"docker\"\n[runtime.docker]\nhost = %q\n", s.Host), s.Pid, s.Host
		if s.Pid == 0 {
			engine = s.Host
		}
	}
	b := newBench(t, rt, conf)
	b.service, b.engine = service, engine
	if engine != "" {
		b.native = "engine --restart=always"
	}
	b.report("backend %s (server %s); load average at start: %s", backend, cmp.Or(host, "podman CLI"), loadAvg())
	stopBare := b.startBare(host, b.bare) // first: the natives take its network
	b.startKillTargets()
	d := b.e.ServeWith(b.bin, rt.Env...)
	b.waitRunning(b.ours, b.natives, []string{b.bare})

	var ours, natives, bare, ratios, bareRatios []time.Duration
	for i := range benchKills {
		// Rotate who goes first, so none always follows another's churn.
		kills := []func(){
			func() { ours = append(ours, b.killAndWait([]string{b.ours[i%benchTogether]})) },
			func() { natives = append(natives, b.killAndWait([]string{b.natives[i%benchTogether]})) },
			func() { bare = append(bare, b.killAndWait([]string{b.bare})) },
		}
		for k := range kills {
			kills[(i+k)%len(kills)]()
		}
		ratios = append(ratios, perMilli(ours[i], natives[i]))
		bareRatios = append(bareRatios, perMilli(bare[i], natives[i]))
	}
	b.report("kill -9 → running, %d kills each, interleaved:", benchKills)
	b.report("  %-24s median %s  (min %s, max %s)", b.native, ms(median(natives)), ms(slices.Min(natives)), ms(slices.Max(natives)))
	b.report("  bare event → start      median %s  (min %s, max %s)  ratio %.2f", ms(median(bare)), ms(slices.Min(bare)), ms(slices.Max(bare)), milli(median(bareRatios)))
	b.report("  veloslet                 median %s  (min %s, max %s)", ms(median(ours)), ms(slices.Min(ours)), ms(slices.Max(ours)))
	b.report("  ratio veloslet / native: median of per-kill ratios %.2f, ratio of medians %.2f",
		milli(median(ratios)), ratio(median(ours), median(natives)))
	stopBare()

	var oursAll, nativesAll []time.Duration
	for range benchRounds {
		oursAll = append(oursAll, b.killAndWait(b.ours))
		nativesAll = append(nativesAll, b.killAndWait(b.natives))
	}
	b.report("%d simultaneous kills, all running again, %d rounds each:", benchTogether, benchRounds)
	b.report("  %-24s median %s", b.native, ms(median(nativesAll)))
	b.report("  veloslet                 median %s  ratio %.2f", ms(median(oursAll)), ratio(median(oursAll), median(nativesAll)))
	b.removeNatives()

	if engine != "" {
		// An engine's own process is what serve's calls and stream cost
		// on: the script that started it says which.
		b.service, _ = strconv.Atoi(os.Getenv("VELOSLET_DOCKERD_PID"))
	}
	if engine != "" && b.service == 0 {
		b.report("idle CPU: not measured (VELOSLET_DOCKERD_PID names no engine process)")
	} else {
		b.idle(d)
	}
	b.report("load average at end: %s", loadAvg())
}

// bench is the benchmark's setup: a plain serve on podman, its specs, and
// the natives (containers under podman's own restart policy).
type bench struct {
	t       *testing.T
	rt      *podman.Runtime
	e       *testEnv
	bin     string
	ours    []string // tokens: the sleep argument that names each process
	natives []string
	bare    string // the bare supervisor's token (see startBare)
	native  string // what restarts the natives, for the report
	engine  string // a Docker Engine's host, whose natives are its own (see engineNative)
	api     *client.Client
	upSince map[string]time.Time // when each token was last seen running again
	base    int
	service int // the API service's pid (docker backend): its CPU is serve's work
}

func newBench(t *testing.T, rt *podman.Runtime, backendConf string) *bench {
	bin := clitest.PlainBin(t)
	e := newTestEnv(t, "")
	// As shipped, but with no back-off: podman's restart=always has none, and
	// the same instance is killed again and again. The cron schedule and
	// resync are the defaults, so the idle cost is the default's.
	cfg := fmt.Sprintf(`[store]
path = %q
[reconcile]
concurrency = 8
[restart]
backoff_initial = "0s"
backoff_max = "0s"
[runtime]
name_prefix = %q
stop_timeout = "1s"
%s`, e.DB, rt.Prefix, backendConf)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &bench{t: t, rt: rt, e: e, bin: bin, base: 7_000_000 + rand.IntN(1_000_000)*10,
		native: "podman --restart=always", upSince: map[string]time.Time{}}
	for i := range benchTogether {
		b.ours = append(b.ours, fmt.Sprint(b.base+i))
		b.natives = append(b.natives, fmt.Sprint(b.base+benchTogether+i))
	}
	b.bare = fmt.Sprint(b.base + 2*benchTogether)
	return b
}

func (b *bench) report(format string, args ...any) {
	b.t.Helper()
	fmt.Printf(format+"\n", args...)
}

// startKillTargets applies our specs and runs the natives, each sleeping for
// its own token so that its process can be found in /proc.
func (b *bench) startKillTargets() {
	var specs []string
	for i, tok := range b.ours {
		specs = append(specs, fmt.Sprintf(`{"uid": "k%d", "image": %q, "restart": "always", "command": ["sleep", %q]}`,
			i, podmantest.Image, tok))
	}
	b.e.mustRun("["+strings.Join(specs, ",")+"]", "apply", "-f", "-")
	// The natives get the network ours get, as the bare supervisor's
	// container (launched through the same backend) shows it: the CLI's
	// default (containers.conf says none here) beside the podman backend,
	// podman 4's Engine API default, a bridge, beside the docker backend. A
	// bridge's teardown and set-up are most of a restart's cost, so unequal
	// networks would compare unequal work.
	run := []string{"run", "-d", "--restart=always"}
	if b.engine == "" {
		run = append(run, "--network="+b.bareNetwork())
	}
	for i, tok := range b.natives {
		name := fmt.Sprintf("native%d-%s", i, strings.TrimSuffix(b.rt.Prefix, "-"))
		if b.engine != "" {
			b.engineNative(name, tok)
			continue
		}
		b.podman(slices.Concat(run, []string{"--name", name, podmantest.Image, "sleep", tok})...)
	}
}

// bareNetwork is the network mode of the bare supervisor's container.
func (b *bench) bareNetwork() string {
	b.t.Helper()
	cmd := exec.Command(b.rt.Binary, "inspect", "--format", "{{.HostConfig.NetworkMode}}", runtime.Name(bareRuntimePrefix(b.rt.Prefix), bareUID))
	cmd.Env = append(os.Environ(), b.rt.Env...)
	out, err := cmd.Output()
	mode := strings.TrimSpace(string(out))
	if err != nil || mode == "" {
		b.t.Fatalf("network of the bare container: %v %q", err, out)
	}
	return mode
}

func (b *bench) removeNatives() {
	for i := range b.natives {
		b.removeNative(fmt.Sprintf("native%d-%s", i, strings.TrimSuffix(b.rt.Prefix, "-")))
	}
}

func (b *bench) podman(args ...string) {
	b.t.Helper()
	cmd := exec.Command(b.rt.Binary, args...)
	cmd.Env = append(os.Environ(), b.rt.Env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("podman %s: %v: %s", strings.Join(args, " "), err, out)
	}
	if args[0] == "run" {
		b.t.Cleanup(func() {
			rm := exec.Command(b.rt.Binary, "rm", "--force", "--ignore", "-t", "0", args[slices.Index(args, "--name")+1])
			rm.Env = cmd.Env
			_ = rm.Run()
		})
	}
}

// waitRunning waits until a process runs for every token.
func (b *bench) waitRunning(groups ...[]string) {
	b.t.Helper()
	all := slices.Concat(groups...)
	clitest.PollFor(b.t, clitest.PodmanTimeout, func() error {
		pids := pidsByToken()
		for _, tok := range all {
			if pids[tok] == 0 {
				return fmt.Errorf("no process for token %s yet", tok)
			}
		}
		return nil
	})
}

// killAndWait SIGKILLs the process of every token at once and returns how
// long until each runs again as a new process (the longest of them).
func (b *bench) killAndWait(tokens []string) time.Duration {
	b.t.Helper()
	b.pace(tokens)
	before := pidsByToken()
	for _, tok := range tokens {
		if before[tok] == 0 {
			b.t.Fatalf("no process for token %s", tok)
		}
	}
	start := time.Now()
	for _, tok := range tokens {
		if err := syscall.Kill(before[tok], syscall.SIGKILL); err != nil {
			b.t.Fatalf("kill %d: %v", before[tok], err)
		}
	}
	deadline := start.Add(clitest.PodmanTimeout)
	for {
		now, done := pidsByToken(), 0
		for _, tok := range tokens {
			if p := now[tok]; p != 0 && p != before[tok] {
				done++
			}
		}
		if done == len(tokens) {
			for _, tok := range tokens {
				b.upSince[tok] = time.Now()
			}
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%d of %d processes running again after %s", done, len(tokens), clitest.PodmanTimeout)
		}
		time.Sleep(5 * time.Millisecond) // polling /proc with a deadline
	}
}

// idle converges benchIdleSpecs specs, lets serve settle, then measures
// serve's CPU (its own, its reaped podman calls and its live event stream)
// beside a bare `podman events` started for the same minute.
func (b *bench) idle(d *clitest.Daemon) {
	b.t.Helper()
	var specs []string
	for i := len(b.ours); i < benchIdleSpecs; i++ {
		specs = append(specs, fmt.Sprintf(`{"uid": "i%03d", "image": %q, "command": ["sleep", "100000"]}`, i, podmantest.Image))
	}
	b.e.mustRun("["+strings.Join(specs, ",")+"]", "apply", "-f", "-")
	clitest.PollFor(b.t, 10*time.Minute, func() error {
		n, err := b.running()
		if err != nil {
			return err
		}
		if n < benchIdleSpecs {
			return fmt.Errorf("%d of %d running", n, benchIdleSpecs)
		}
		return nil
	})
	time.Sleep(15 * time.Second) // let the last passes and their records finish before measuring
	events := exec.Command(b.rt.Binary, "events", "--format", "json", "--filter", "event=died")
	events.Env = append(os.Environ(), b.rt.Env...)
	if err := events.Start(); err != nil {
		b.t.Fatal(err)
	}
	defer func() { _ = events.Process.Kill(); _ = events.Wait() }()
	cpu := func() time.Duration {
		if b.service != 0 {
			return treeCPU(d.Cmd.Process.Pid) + treeCPU(b.service)
		}
		return treeCPU(d.Cmd.Process.Pid)
	}
	serve, bare := cpu(), treeCPU(events.Process.Pid)
	time.Sleep(benchIdle) // the measured interval itself
	serve, bare = cpu()-serve, treeCPU(events.Process.Pid)-bare
	b.report("idle CPU over %s, %d specs converged (cron %q, resync %s):", benchIdle, benchIdleSpecs, "@every 10s", "1m")
	b.report("  podman events alone      %.2f s", bare.Seconds())
	who := "veloslet serve          "
	if b.service != 0 {
		who = "serve + API service     "
	}
	if b.engine != "" {
		who = "serve + engine          "
	}
	b.report("  %s %.2f s  ratio %.2f", who, serve.Seconds(), ratio(serve, bare))
	if b.service != 0 {
		b.serviceAlone(d, serve, bare)
	}
}

// running counts our running containers, as the server serve drives lists them.
func (b *bench) running() (int, error) {
	ctx := context.Background()
	n := 0
	if b.engine != "" {
		res, err := b.engineClient().ContainerList(ctx, client.ContainerListOptions{})
		if err != nil {
			return 0, err
		}
		for _, c := range res.Items {
			if slices.ContainsFunc(c.Names, func(name string) bool { return strings.HasPrefix(name, "/"+b.rt.Prefix) }) {
				n++
			}
		}
		return n, nil
	}
	list, err := b.rt.List(ctx)
	for _, in := range list {
		if in.State == runtime.StateRunning {
			n++
		}
	}
	return n, err
}

// serviceAlone stops serve and measures the API service (or the engine)
// with no client over the same interval: an engine runs whether or not
// veloslet does, so what veloslet costs on it is the CPU beyond that.
func (b *bench) serviceAlone(d *clitest.Daemon, serve, bare time.Duration) {
	b.t.Helper()
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.t.Fatal(err)
	}
	d.Wait(b.t)
	alone := treeCPU(b.service)
	time.Sleep(benchIdle) // the measured interval itself
	alone = treeCPU(b.service) - alone
	who := "API service"
	if b.engine != "" {
		who = "engine"
	}
	b.report("  %s alone, no client, next %s: %.2f s", who, benchIdle, alone.Seconds())
	b.report("  serve + %s beyond that: %.2f s  ratio %.2f", who, (serve - alone).Seconds(), ratio(serve-alone, bare))
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// perMilli keeps the ratio a/b as a Duration in milliseconds, so that
// median can take the median of ratios; milli reads it back.
func perMilli(a, b time.Duration) time.Duration {
	return time.Duration(float64(time.Millisecond) * ratio(a, b))
}

func milli(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
