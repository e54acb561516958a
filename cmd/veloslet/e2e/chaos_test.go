package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// chaosHost is what the chaos test needs from a runtime: its list (ours and
// foreign), a way to make an instance die, and the env serve runs with.
type chaosHost struct {
	image   string
	env     []string
	list    func() []runtime.Instance
	kill    func(uid string) // best effort: the instance may be gone already
	foreign runtime.InstanceID
	// specs is how many specs the run starts with. killWait bounds the wait
	// for the moment of death drawn for a round; settle bounds the final
	// convergence. Podman's calls take far longer than the simulation's, and
	// a loaded machine makes both slower: the bounds are generous, the
	// waits end as soon as their condition holds.
	specs            int
	killWait, settle time.Duration
}

// chaosTuning ends the [reconcile] table and shortens the waits a real
// crash loop deserves (back-off up to 5 minutes; a brake held for a minute
// when a restart finds many instances to relaunch at once), so that 50
// rounds and the final convergence fit in CI's time. The order of events
// is the same; only the clock is faster.
const chaosTuning = `brake_hold = "2s"
[restart]
backoff_initial = "100ms"
backoff_max = "1s"
`

// chaosRounds is how many times the soak runs SIGKILL the daemon; the short
// runs of make e2e do it chaosShortRounds times, with the same checks.
const (
	chaosRounds       = 50
	chaosPodmanRounds = 25
	chaosShortRounds  = 4
)

// TestChaos_Fake SIGKILLs a daemon converging 100 specs on the file-backed
// simulated runtime at random moments, a few times, changing specs and
// killing instances between rounds, then checks that nothing is lost or
// duplicated. TestSoak_ChaosFake does the same 50 times.
func TestChaos_Fake(t *testing.T) {
	t.Parallel()
	chaosFake(t, chaosShortRounds)
}

// TestSoak_ChaosFake is TestChaos_Fake with 50 rounds.
func TestSoak_ChaosFake(t *testing.T) {
	t.Parallel()
	chaosFake(t, chaosRounds)
}

func chaosFake(t *testing.T, rounds int) {
	e := newTestEnv(t, "concurrency = 4\nschedule = \"@every 1s\"\n"+chaosTuning, `latency = "5ms"`)
	rt, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := rt.Run(context.Background(), runtime.RunSpec{UID: "zz-foreign",
		Container:  spec.Container{Image: "busybox"},
		StoreID:    "another-store",
		Generation: 1,
		SpecHash:   "x"})
	if err != nil {
		t.Fatal(err)
	}
	runChaos(t, e, chaosHost{image: "busybox", foreign: foreign, list: e.HostList,
		kill: func(uid string) { _ = rt.SetExited(uid, 137) }, specs: 100,
		killWait: time.Minute, settle: time.Minute}, 1, rounds)
}

// TestChaos_Podman is the same against real podman, with 12 specs and a
// few rounds; TestSoak_ChaosPodman runs 50 specs through 25 rounds.
func TestChaos_Podman(t *testing.T) {
	t.Parallel()
	chaosPodman(t, 12, chaosShortRounds)
}

// TestSoak_ChaosPodman is TestChaos_Podman with 50 specs and 25 rounds
// (100 specs through 50 rounds took 6 minutes, most of them podman's).
func TestSoak_ChaosPodman(t *testing.T) {
	t.Parallel()
	chaosPodman(t, 50, chaosPodmanRounds)
}

func chaosPodman(t *testing.T, specs, rounds int) {
	e, rt := podmanEnv(t)
	cfg, err := os.ReadFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `schedule = "@every 1h"`, `schedule = "@every 1s"`, 1) + chaosTuning)
	if err := os.WriteFile(e.Config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	foreign, err := rt.Run(ctx, runtime.RunSpec{UID: "zz-foreign",
		Container:  spec.Container{Image: podmantest.Image, Command: []string{"sleep", "100000"}},
		StoreID:    "another-store",
		Generation: 1,
		SpecHash:   "x"})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []runtime.Instance {
		l, err := rt.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	kill := func(uid string) {
		cmd := exec.Command(rt.Binary, "kill", "--signal", "KILL", rt.Prefix+uid)
		cmd.Env = append(os.Environ(), rt.Env...)
		_ = cmd.Run() // not running any more is fine
	}
	runChaos(t, e, chaosHost{image: podmantest.Image, env: rt.Env, foreign: foreign, list: list, kill: kill,
		specs: specs, killWait: 3 * time.Minute, settle: 5 * time.Minute}, 2, rounds)
}

// runChaos applies h.specs specs, then for each of rounds: changes one spec,
// replaces one by another, kills three instances, starts serve and SIGKILLs
// it at a random moment. The moment is drawn as a point in the daemon's
// work, not in time, so that a loaded machine shifts it without emptying
// it: at once, or once the daemon has acted a drawn number of times (up to
// half the specs and ten more), or once one of its passes found nothing to do. Each round checks
// that no event was lost; the end checks convergence, orphans, the foreign
// instance and that no launch ever collided with an instance already there.
func runChaos(t *testing.T, e *testEnv, h chaosHost, seed uint64, rounds int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	want := map[string]string{} // uid → command argument
	for i := range h.specs {
		want[fmt.Sprintf("c%03d", i)] = "100000"
	}
	e.mustRun(chaosSpecs(h.image, want), "apply", "-f", "-")
	db := e.OpenDB()
	ctx := context.Background()
	var prevMax, prevPass int64
	prevCount := 0
	phases := map[string]int{} // where each kill landed
	for round := range rounds {
		if round > 0 {
			uids := sortedKeys(want)
			for range 3 {
				h.kill(uids[rng.IntN(len(uids))])
			}
			changed := uids[rng.IntN(len(uids))]
			want[changed] = fmt.Sprint(100000 + round)
			gone := uids[rng.IntN(len(uids))]
			if gone != changed {
				delete(want, gone)
				e.mustRun("", "delete", gone)
			}
			added := fmt.Sprintf("n%03d", round)
			want[added] = "100000"
			e.mustRun(chaosSpecs(h.image, map[string]string{changed: want[changed], added: want[added]}), "apply", "-f", "-")
		}
		// The daemon dies after its k-th action of the round (0: at once).
		k := rng.IntN(h.specs/2 + 10)
		mark := chaosMark(t, db)
		d := e.Serve(h.env...)
		if k > 0 {
			converged := func() error { return chaosConverged(db, h, want) }
			waitChaosPoint(t, db, d, round, k, mark, converged, h.killWait)
		}
		if err := d.Cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		d.Wait(t)
		evs, err := db.FindEvents(ctx, store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		kept := 0
		for _, ev := range evs {
			if ev.ID <= prevMax {
				kept++
			}
		}
		if kept != prevCount {
			t.Fatalf("round %d: %d of the %d earlier events left", round, kept, prevCount)
		}
		switch p, err := db.LastPass(ctx); {
		case err != nil || p.ID == prevPass:
			phases["before its first pass"]++
		case p.FinishedAt.Time().IsZero():
			phases["in a pass"]++
			prevPass = p.ID
		default:
			phases["between passes"]++
			prevPass = p.ID
		}
		prevCount = len(evs)
		if len(evs) > 0 {
			prevMax = evs[len(evs)-1].ID
		}
	}
	e.Serve(h.env...)
	storetest.RetryUntil(t, 50*time.Millisecond, h.settle, func() error { return chaosConverged(db, h, want) })
	evs, err := db.FindEvents(ctx, store.EventFilter{Kind: store.EventFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(ev.Reason, runtime.ErrExists.Error()) {
			t.Errorf("a launch collided with an instance already there: %s", ev.Reason)
		}
	}
	all, _ := db.FindEvents(ctx, store.EventFilter{})
	kinds := map[store.EventKind]int{}
	for _, ev := range all {
		kinds[ev.Kind]++
	}
	t.Logf("%d rounds, killed: %v; converged to %d specs; events: %v; %d failed actions",
		rounds, phases, len(want), kinds, len(evs))
}

// chaosPoint is where the database stood when a round's daemon started: the
// last event and pass ids.
type chaosPoint struct{ event, pass int64 }

func chaosMark(t *testing.T, db *store.DB) chaosPoint {
	t.Helper()
	var m chaosPoint
	evs, err := db.FindEvents(context.Background(), store.EventFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) > 0 {
		m.event = evs[0].ID
	}
	switch p, err := db.LastPass(context.Background()); {
	case err == nil:
		m.pass = p.ID
	case !errors.Is(err, store.ErrNotFound):
		t.Fatal(err)
	}
	return m
}

// waitChaosPoint polls until the daemon has acted k times since mark (an
// event of a launch, exit, relaunch, replace, stop, removal or failure;
// adoptions and reports do not count), or nothing is left to interrupt: it
// finished a pass that had nothing to do, or its newest pass has finished
// and the host has converged. (With an event stream up, a converged daemon
// may run no pass until reconcile.resync, so an empty pass may not come.)
// It fails once timeout has passed, or if the daemon ended on its own.
func waitChaosPoint(t *testing.T, db *store.DB, d *clitest.Daemon, round, k int, mark chaosPoint, converged func() error, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	var checked time.Time // listing the host is dearer than reading the database
	for {
		evs, err := db.FindEvents(ctx, store.EventFilter{AfterID: mark.event})
		if err != nil {
			t.Fatal(err)
		}
		acted := 0
		for _, ev := range evs {
			switch ev.Kind {
			case store.EventAdopted, store.EventResumed, store.EventForeign, store.EventBrakeHeld, store.EventBackoff:
			default:
				acted++
			}
		}
		if acted >= k {
			return
		}
		p, err := db.LastPass(ctx)
		if err == nil && p.ID > mark.pass && !p.FinishedAt.Time().IsZero() {
			if p.Actions == 0 {
				return
			}
			if time.Since(checked) > 250*time.Millisecond {
				if checked = time.Now(); converged() == nil {
					return
				}
			}
		}
		if ended, err := d.Ended(); ended {
			t.Fatalf("round %d: serve ended on its own (%v) before the moment drawn for its kill; log:\n%s",
				round, err, d.Stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("round %d: waited %s for %d actions after event %d, or a finished pass with nothing to do after pass %d; saw %d actions in %d events, last pass %+v (%v)",
				round, timeout, k, mark.event, mark.pass, acted, len(evs), p, err)
		}
		time.Sleep(10 * time.Millisecond) // polling the database with a deadline
	}
}

// chaosConverged: every wanted spec runs once with its latest generation,
// nothing else of ours is listed, and the foreign instance is as it was.
func chaosConverged(db *store.DB, h chaosHost, want map[string]string) error {
	specs, err := db.FindSpecs(context.Background())
	if err != nil {
		return err
	}
	if len(specs) != len(want) {
		return fmt.Errorf("%d specs stored, want %d", len(specs), len(want))
	}
	gen := map[string]int64{}
	for _, s := range specs {
		if _, ok := want[s.UID]; !ok || s.Command[1] != want[s.UID] {
			return fmt.Errorf("spec %s %v not as applied (%q)", s.UID, s.Command, want[s.UID])
		}
		gen[s.UID] = s.Generation
	}
	seen := map[string]bool{}
	for _, in := range h.list() {
		if in.StoreID() != db.StoreID() {
			if in.ID != h.foreign || in.State != runtime.StateRunning {
				return fmt.Errorf("foreign instance changed or new: %+v", in)
			}
			continue
		}
		seen[in.UID] = true
		if g, ok := gen[in.UID]; !ok {
			return fmt.Errorf("orphan %s still listed", in.UID)
		} else if in.State != runtime.StateRunning || in.Generation() != g {
			return fmt.Errorf("%s is %s at generation %d, want running at %d", in.UID, in.State, in.Generation(), g)
		}
	}
	if len(seen) != len(want) {
		return fmt.Errorf("%d of %d specs have an instance", len(seen), len(want))
	}
	return nil
}

func chaosSpecs(image string, specs map[string]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, uid := range sortedKeys(specs) {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid": %q, "image": %q, "command": ["sleep", %q]}`, uid, image, specs[uid])
	}
	return b.String() + "]"
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
