package supervisor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSupervisor_RebootExitsAreNoFailures: 50 instances that each failed
// 3 times in a row all exit at once. With the boot time (injected) moved
// past their starts, it was a reboot: one pass relaunches every one of
// them, their failure counts stay at 3 and nothing backs off; without the
// move, the same exits are a fourth failure each and back off.
func TestSupervisor_RebootExitsAreNoFailures(t *testing.T) {
	const n = 50
	for _, tc := range []struct {
		name   string
		reboot bool
	}{{"BootMoved", true}, {"SameBoot", false}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, rt, clock := MustNewSupervisor(t)
			boot := clock.Now().Add(-time.Hour)
			s.BootTime = func() (time.Time, error) { return boot, nil }
			storetest.MustApply(t, s.DB, specs(n)...)
			mustReconcile(t, s)
			for range 3 { // three crashes in a row, each relaunched after its back-off
				for _, sp := range specs(n) {
					if err := rt.Real().SetExited(sp.UID, 1); err != nil {
						t.Fatal(err)
					}
				}
				clock.Add(time.Minute)
				mustReconcile(t, s)
				clock.Add(time.Minute)
				mustReconcile(t, s)
			}
			if got := running(t, rt); got != n {
				t.Fatalf("%d of %d running before the reboot", got, n)
			}
			assertFailures(t, s.DB, n, 3)
			backoffs := countKind(t, s.DB, store.EventBackoff)

			clock.Add(time.Minute)
			if tc.reboot {
				boot = clock.Now()
			}
			clock.Add(30 * time.Second) // the host is up again; everything exited
			for _, sp := range specs(n) {
				if err := rt.Real().SetExited(sp.UID, 137); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerStartup}); err != nil {
				t.Fatal(err)
			}
			newBackoffs := countKind(t, s.DB, store.EventBackoff) - backoffs
			if !tc.reboot {
				if got := running(t, rt); got != 0 {
					t.Errorf("%d of %d relaunched at once after a fourth failure, want none: back-off", got, n)
				}
				if newBackoffs != n {
					t.Errorf("%d back-off events, want %d", newBackoffs, n)
				}
				assertFailures(t, s.DB, n, 4)
				return
			}
			if got := running(t, rt); got != n {
				t.Fatalf("%d of %d running after one pass after the reboot", got, n)
			}
			if newBackoffs != 0 {
				t.Errorf("%d back-off events after the reboot, want none", newBackoffs)
			}
			assertFailures(t, s.DB, n, 3)
			evs, err := s.DB.FindEvents(ctx, store.EventFilter{Kind: store.EventExited})
			if err != nil {
				t.Fatal(err)
			}
			said := 0
			for _, e := range evs {
				if strings.Contains(e.Reason, "the host rebooted") {
					said++
				}
			}
			if said != n {
				t.Errorf("%d exited events say the host rebooted, want %d", said, n)
			}
		})
	}
}

func mustReconcile(t *testing.T, s *supervisor.Supervisor) {
	t.Helper()
	if err := s.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// assertFailures checks that all n records count want failures in a row.
func assertFailures(t *testing.T, db *store.DB, n, want int) {
	t.Helper()
	recs, err := storetest.FindInstances(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for _, r := range recs {
		if r.ConsecutiveFailures != want {
			t.Fatalf("%s: %d failures in a row, want %d", r.UID, r.ConsecutiveFailures, want)
		}
	}
}
