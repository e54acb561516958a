package supervisor_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestSoak_CrashLoopDayStaysSmall runs one spec crash-looping for 24
// simulated hours at default settings, beside one that keeps running, with
// a cron tick every 10 s and retention and a checkpoint at every hour, and
// checks the database stays under the bound docs/ops.md states.
//
// The clock jumps from one pass that can change something to the next: to
// the back-off deadline the plan asks to be woken at, or else to the next
// cron tick. The ticks jumped over would each have run a pass with nothing
// to do, which writes only its passes row; those rows are written as they
// would have been, so the file holds a day's worth of every table.
func TestSoak_CrashLoopDayStaysSmall(t *testing.T) {
	const (
		tick  = 10 * time.Second // the default schedule, "@every 10s"
		day   = 24 * time.Hour
		bound = 8 << 20
	)
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	storetest.MustApply(t, s.DB, store.Spec{UID: "crashy", Container: vspec.Container{Image: "busybox"}}, store.Spec{UID: "steady", Container: vspec.Container{Image: "busybox"}})
	start := clock.Now()
	end := start.Add(day)
	nextHour := start.Add(time.Hour)
	trigger := store.TriggerSchedule
	passes, idle, hours := 0, 0, 0
	for clock.Now().Before(end) {
		list, err := rt.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range list {
			if in.UID == "crashy" && in.State == runtime.StateRunning {
				_ = rt.SetExited("crashy", 1) // it dies as soon as it starts
			}
		}
		res, err := s.Pass(ctx, supervisor.PassOptions{Trigger: trigger})
		if res == nil {
			t.Fatalf("pass at %s did not run: %v", clock.Now().Sub(start), err)
		}
		passes++
		now := clock.Now()
		// The next cron tick after now, on the grid from start.
		next := start.Add((now.Sub(start)/tick + 1) * tick)
		trigger = store.TriggerSchedule
		if w := res.Plan.NextWake; !w.IsZero() {
			next, trigger = w, store.TriggerBackoff
		}
		// On the way to next: the cron ticks strictly before it, each a
		// pass with nothing to do (crashy waits out its back-off, steady
		// runs), and the hour boundaries up to it, each pruning and
		// checkpointing before the pass of the same instant.
		var skipped []time.Time
		for at := start.Add((now.Sub(start)/tick + 1) * tick); ; {
			tickDue := at.Before(next) && at.Before(end)
			hourDue := !nextHour.After(next) && !nextHour.After(end)
			if !tickDue && !hourDue {
				break
			}
			if tickDue && (!hourDue || at.Before(nextHour)) {
				skipped = append(skipped, at)
				at = at.Add(tick)
				continue
			}
			storetest.MustRecordIdlePasses(t, s.DB, store.TriggerSchedule, 2, 2, skipped)
			idle, skipped = idle+len(skipped), nil
			hourly(t, s.DB, clock, nextHour)
			nextHour, hours = nextHour.Add(time.Hour), hours+1
		}
		storetest.MustRecordIdlePasses(t, s.DB, store.TriggerSchedule, 2, 2, skipped)
		idle += len(skipped)
		clock.Add(next.Sub(clock.Now()))
	}
	var size int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.DB.Path() + suffix); err == nil {
			size += fi.Size()
		}
	}
	evs, _ := s.DB.FindEvents(ctx, store.EventFilter{})
	recs, _ := storetest.FindInstances(ctx, s.DB)
	var crashy *store.Instance
	for _, r := range recs {
		if r.UID == "crashy" {
			crashy = r
		}
	}
	if crashy == nil {
		t.Fatalf("no instance record for crashy: %+v", recs)
	}
	t.Logf("after 24 simulated hours: %d bytes on disk, %d events, %d restarts; %d passes run, %d idle ones recorded, %d hourly prunes",
		size, len(evs), crashy.RestartCount, passes, idle, hours)
	if size > bound {
		t.Fatalf("database is %d bytes after a day of crash-looping, over the %d bound in docs/ops.md", size, bound)
	}
	if crashy.RestartCount < 200 {
		t.Fatalf("only %d restarts in a day: the loop did not crash as intended", crashy.RestartCount)
	}
	if hours != 24 {
		t.Fatalf("retention ran %d times in 24 simulated hours, want 24", hours)
	}
	// A day of 10 s ticks is 8,640 passes, plus those woken by back-off.
	if p, err := s.DB.LastPass(ctx); err != nil || p.ID < int64(day/tick) {
		t.Fatalf("last pass %+v, %v: want at least %d passes recorded in a day", p, err, day/tick)
	}
}

// hourly moves the clock to the hour boundary at and runs what the daemon
// runs every hour: retention of events and passes, then a checkpoint.
func hourly(t *testing.T, db *store.DB, clock *storetest.Clock, at time.Time) {
	t.Helper()
	clock.Add(at.Sub(clock.Now()))
	ctx := context.Background()
	if _, err := db.PruneEvents(ctx, store.Retention{MaxAge: 30 * 24 * time.Hour, MaxRows: 100_000}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PrunePasses(ctx, store.Retention{MaxAge: 7 * 24 * time.Hour, MaxRows: 50_000}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckpointTruncate(ctx); err != nil {
		t.Fatal(err)
	}
}
