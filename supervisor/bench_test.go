package supervisor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

var sizes = []int{1_000, 10_000, 100_000}

// fixtures keeps one converged supervisor per size for the whole run, so
// -count repeats the measurement and not the setup (100k launches).
var fixtures = struct {
	sync.Mutex
	dir string
	by  map[int]*fixture
}{by: map[int]*fixture{}}

type fixture struct {
	s  *supervisor.Supervisor
	rt *fake.Runtime
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures.by {
		_ = f.s.DB.Close()
	}
	if fixtures.dir != "" {
		_ = os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

// shared returns the run's converged supervisor of n specs, all running
// and recorded. Benchmarks that use it must leave it converged.
func shared(b *testing.B, n int) (*supervisor.Supervisor, *fake.Runtime) {
	b.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if f := fixtures.by[n]; f != nil {
		return f.s, f.rt
	}
	if fixtures.dir == "" {
		dir, err := os.MkdirTemp("", "veloslet-bench-")
		if err != nil {
			b.Fatal(err)
		}
		fixtures.dir = dir
	}
	db, err := store.Open(context.Background(), filepath.Join(fixtures.dir, fmt.Sprintf("%d.db", n)))
	if err != nil {
		b.Fatal(err)
	}
	s := supervisor.New(db, fake.New())
	s.Logger = quiet
	converge(b, s, n)
	goruntime.GC() // the setup's garbage is not the first measured run's
	fixtures.by[n] = &fixture{s: s, rt: s.Runtime.(*fake.Runtime)}
	return s, fixtures.by[n].rt
}

// converge applies n specs (in batches, as an operator would) and runs the
// pass that launches them.
func converge(b *testing.B, s *supervisor.Supervisor, n int) {
	b.Helper()
	s.Concurrency = 16
	ctx := context.Background()
	all := specs(n)
	for i := 0; i < n; i += 10_000 {
		if _, err := s.DB.UpsertSpecs(ctx, all[i:min(i+10_000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPass is a whole pass that finds nothing to do (kind=pass) beside
// its floor (kind=floor): every spec row and instance record read with
// plain queries, and the runtime's list. benchstat -col /kind shows the ratio.
func BenchmarkPass(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d/kind=floor", n), func(b *testing.B) {
			s, rt := shared(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ns, ni, err := storetest.Floor(ctx, s.DB)
				if err != nil || ns != n || ni != n {
					b.Fatalf("floor: %d specs %d instances %v", ns, ni, err)
				}
				if list, err := rt.List(ctx); err != nil || len(list) != n {
					b.Fatalf("list: %d %v", len(list), err)
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/kind=pass", n), func(b *testing.B) {
			s, _ := shared(b, n)
			ctx := context.Background()
			// A daemon's idle passes follow one another: the first after a
			// write reads the tables, the rest find the state cached.
			if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule})
				if err != nil || len(res.Plan.Actions) != 0 {
					b.Fatalf("pass: %v, %d actions", err, len(res.Plan.Actions))
				}
			}
		})
	}
}

// BenchmarkReadState is the store reads a pass needs after a write: a
// full read, the state cache made stale before each by a write of this
// process (outside the timing).
func BenchmarkReadState(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, _ := shared(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				// An apply that changes nothing still commits a write.
				if _, err := s.DB.UpsertSpecs(ctx, specs(1)); err != nil {
					b.Fatal(err)
				}
				_, full := s.DB.StateReads()
				b.StartTimer()
				st, err := s.DB.ReadState(ctx)
				if _, f := s.DB.StateReads(); f != full+1 {
					b.Fatal("ReadState did not read the tables")
				}
				if err != nil || len(st.Specs) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompute is the planner alone over a converged state.
func BenchmarkCompute(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s, rt := shared(b, n)
			ctx := context.Background()
			st, _ := s.DB.ReadState(ctx)
			list, _ := rt.List(ctx)
			in := supervisor.PlanInput{Specs: st.Specs, Records: st.Instances, Observed: list,
				StoreID: s.DB.StoreID(), Now: time.Now(), Policy: s.Policy}
			b.ReportAllocs()
			for b.Loop() {
				if p := supervisor.Compute(in); len(p.Actions) != 0 {
					b.Fatalf("%d actions", len(p.Actions))
				}
			}
		})
	}
}

// BenchmarkRelaunchStorm relaunches 1,000 exited instances with 5 ms of
// simulated latency per runtime call.
func BenchmarkRelaunchStorm(b *testing.B) {
	for _, c := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			s, rt, _ := MustNewSupervisor(b)
			converge(b, s, 1000)
			s.Concurrency = c
			s.Policy.BackoffInitial, s.Policy.BackoffMax, s.Policy.Jitter = 0, 0, 0 // every round relaunches at once
			rt.Latency = 5 * time.Millisecond
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				for i := range 1000 {
					if err := rt.SetExited(fmt.Sprintf("s%05d", i), 1); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				// Force: a storm of 1,000 relaunches is what the brake exists to question.
				res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, Force: true})
				if err != nil || len(res.Plan.Actions) != 1000 {
					b.Fatalf("storm pass: %v, %d actions", err, len(res.Plan.Actions))
				}
			}
		})
	}
}

// BenchmarkRecordOutcome appends one event (with its instance record) per op.
func BenchmarkRecordOutcome(b *testing.B) {
	s, _, _ := MustNewSupervisor(b)
	ctx := context.Background()
	rec := &store.Instance{UID: "a", State: store.InstanceRunning}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.DB.RecordOutcome(ctx, store.Outcome{Instance: rec,
			Events: []store.Event{{UID: "a", Kind: store.EventExited, Reason: "exit code 1"}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
