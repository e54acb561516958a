package supervisor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

var sizes = []int{1_000, 10_000, 100_000}

// converged returns a supervisor whose n specs all run and are recorded.
func converged(b *testing.B, n int) (*supervisor.Supervisor, *fake.Runtime) {
	b.Helper()
	s, rt, _ := MustNewSupervisor(b)
	s.Concurrency = 16
	ctx := context.Background()
	for i := 0; i < n; i += 10_000 {
		if _, err := s.DB.UpsertSpecs(ctx, specs(n)[i:min(i+10_000, n)]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup}); err != nil {
		b.Fatal(err)
	}
	return s, rt
}

// BenchmarkPass is a whole pass that finds nothing to do.
func BenchmarkPass(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, _ := converged(b, n)
			ctx := context.Background()
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

// BenchmarkFloor is the bare cost beside a pass: every spec row and
// instance record read with plain queries, and the runtime's list.
func BenchmarkFloor(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, rt := converged(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ns, ni, err := s.DB.Floor(ctx)
				if err != nil || ns != n || ni != n {
					b.Fatalf("floor: %d specs %d instances %v", ns, ni, err)
				}
				if list, err := rt.List(ctx); err != nil || len(list) != n {
					b.Fatalf("list: %d %v", len(list), err)
				}
			}
		})
	}
}

// BenchmarkReadState is the store reads a pass needs.
func BenchmarkReadState(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, _ := converged(b, n)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				st, err := s.DB.ReadState(ctx)
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
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, rt := converged(b, n)
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
			s, rt := converged(b, 1000)
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
