package supervisortest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/store"
)

// RunCrashRecovery runs the crash-recovery scenarios against hosts from
// newHost. Each scenario gets a fresh host and database.
func RunCrashRecovery(t *testing.T, newHost func(t *testing.T) *runtimetest.Harness) {
	for _, sc := range []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"AdoptAfterRestart", testAdoptAfterRestart},
		{"ExitedWhileDown", testExitedWhileDown},
		{"DeletedWhileDown", testDeletedWhileDown},
		{"CrashAfterRunBeforeRecord", testCrashAfterRun},
		{"CrashBetweenRemoveAndRun", testCrashBetweenRemoveAndRun},
		{"BackoffSurvivesRestart", testBackoffSurvivesRestart},
		{"ForeignNeverRemoved", testForeign},
		{"SafetyBrake", testSafetyBrake},
		{"ChangedWhileDown", testChangedWhileDown},
		{"PrefixChange", testPrefixChange},
		{"Renamed", testRenamed},
		{"VolumesFollowSpec", testVolumesFollowSpec},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel() // a host and a database of its own; the time is the runtime's
			sc.fn(t, newEnv(t, newHost(t)))
		})
	}
}

// 1. Launched instances are adopted after a restart: no relaunch, no
// duplicate, restart count kept.
func testAdoptAfterRestart(t *testing.T, e *env) {
	e.apply(e.specs("a", "b", "c")...)
	e.pass()
	e.exit("b", 1)
	if evs := e.pass(); !has(evs, "b", store.EventRelaunched) {
		t.Fatalf("b not relaunched: %v", kinds(evs, ""))
	}
	before := e.list()
	e.restart()
	evs := e.pass()
	for _, k := range kinds(evs, "") {
		if k == store.EventLaunched || k == store.EventRelaunched || k == store.EventReplaced {
			t.Fatalf("start-up pass after a restart did %s: %v", k, kinds(evs, ""))
		}
	}
	if got := kinds(evs, "a"); !slices.Equal(got, []store.EventKind{store.EventResumed}) {
		t.Fatalf("a events=%v at start-up, want resumed", got)
	}
	after := e.list()
	for uid, in := range before {
		if after[uid].ID != in.ID {
			t.Errorf("%s: instance %s replaced by %s", uid, in.ID, after[uid].ID)
		}
	}
	if r := e.record("b"); r == nil || r.RestartCount != 1 {
		t.Fatalf("b record=%+v, want restart count 1", r)
	}
}

// 2. An instance that exited while veloslet was down is relaunched by the
// start-up pass.
func testExitedWhileDown(t *testing.T, e *env) {
	e.apply(e.specs("a", "b")...)
	e.pass()
	e.crash()
	e.exit("a", 2)
	e.start()
	evs := e.pass()
	if !has(evs, "a", store.EventExited) || !has(evs, "a", store.EventRelaunched) {
		t.Fatalf("events=%v, want a exited and relaunched", kinds(evs, ""))
	}
	// Some runtimes reuse the name as the id (Apple's), so the state tells.
	e.h.WaitState(t, "a", runtime.StateRunning)
}

// 3. A spec deleted while veloslet was down: its instance is removed.
func testDeletedWhileDown(t *testing.T, e *env) {
	e.apply(e.specs("a", "b")...)
	e.pass()
	e.crash()
	e.start() // an operator's `veloslet delete` opens the same file
	if err := e.db.DeleteSpecs(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	e.restart()
	evs := e.pass()
	if !has(evs, "a", store.EventRemovedOrphan) {
		t.Fatalf("events=%v, want a removed_orphan", kinds(evs, ""))
	}
	e.h.WaitState(t, "a", "")
	if _, ok := e.list()["b"]; !ok {
		t.Fatal("b removed too")
	}
}

// 4. A crash after Run returned but before the outcome was recorded: the
// next pass adopts the instance, and exactly one instance exists.
func testCrashAfterRun(t *testing.T, e *env) {
	e.apply(e.specs("a")...)
	e.rt.afterRun = func() error {
		e.die() // the process dies here: nothing more reaches the file
		return errCrash
	}
	e.pass()
	e.start()
	if r := e.record("a"); r != nil {
		t.Fatalf("record written despite the crash: %+v", r)
	}
	evs := e.pass()
	if !has(evs, "a", store.EventResumed) || has(evs, "a", store.EventLaunched) {
		t.Fatalf("events=%v, want a resumed and not launched", kinds(evs, ""))
	}
	if n := len(e.list()); n != 1 {
		t.Fatalf("%d instances, want 1", n)
	}
	if r := e.record("a"); r == nil || r.State != store.InstanceRunning || r.RuntimeID == "" {
		t.Fatalf("record=%+v, want running with a runtime id", r)
	}
}

// 5. A crash between Remove and Run of a relaunch: the next pass launches.
func testCrashBetweenRemoveAndRun(t *testing.T, e *env) {
	e.apply(e.specs("a")...)
	e.pass()
	e.exit("a", 1)
	e.rt.afterRemove = func() error {
		e.die()
		return errCrash
	}
	e.pass()
	if _, ok := e.list()["a"]; ok {
		t.Fatal("a still listed: the crash came before Remove")
	}
	e.start()
	evs := e.pass()
	if !has(evs, "a", store.EventLaunched) && !has(evs, "a", store.EventRelaunched) {
		t.Fatalf("events=%v, want a launched", kinds(evs, ""))
	}
	e.h.WaitState(t, "a", runtime.StateRunning)
	if n := len(e.list()); n != 1 {
		t.Fatalf("%d instances, want 1", n)
	}
}

// 6. Crash-loop back-off survives a restart: the next attempt time is kept.
func testBackoffSurvivesRestart(t *testing.T, e *env) {
	e.apply(e.specs("a")...)
	e.pass()
	e.exit("a", 1)
	e.pass() // first failure: immediate relaunch
	e.exit("a", 1)
	if evs := e.pass(); !has(evs, "a", store.EventBackoff) {
		t.Fatalf("events=%v, want a backoff", kinds(evs, ""))
	}
	waiting := e.record("a")
	if !waiting.NextAttemptAt.Time().After(e.clock.Now()) {
		t.Fatalf("next attempt %v not after now %v", waiting.NextAttemptAt.Time(), e.clock.Now())
	}
	e.restart()
	if evs := e.pass(); has(evs, "a", store.EventRelaunched) {
		t.Fatal("relaunched at start-up although back-off had not expired")
	}
	if got := e.record("a"); !got.NextAttemptAt.Time().Equal(waiting.NextAttemptAt.Time()) || got.ConsecutiveFailures != 2 {
		t.Fatalf("record after restart=%+v, want next attempt %v and 2 failures", got, waiting.NextAttemptAt.Time())
	}
	e.clock.Add(waiting.NextAttemptAt.Time().Sub(e.clock.Now()) + time.Millisecond)
	if evs := e.pass(); !has(evs, "a", store.EventRelaunched) {
		t.Fatalf("events=%v after the deadline, want a relaunched", kinds(evs, ""))
	}
}

// 7. Instances labelled with another store id are reported as foreign and
// never removed, whatever happens to our specs.
func testForeign(t *testing.T, e *env) {
	other := e.h.Spec("x")
	other.StoreID = "otherstore"
	otherID, err := e.h.Runtime.Run(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	e.apply(e.specs("a", "x")...) // a spec for the same uid must not displace it
	evs := e.pass()
	if got := kinds(evs, "x"); !slices.Equal(got, []store.EventKind{store.EventForeign}) {
		t.Fatalf("x events=%v, want one foreign", got)
	}
	if evs := e.pass(); has(evs, "x", store.EventForeign) {
		t.Fatal("foreign reported twice")
	}
	if err := e.db.DeleteSpecs(context.Background(), "x", "a"); err != nil {
		t.Fatal(err)
	}
	e.restart()
	e.pass()
	got, ok := e.list()["x"]
	if !ok {
		t.Fatal("foreign instance removed")
	}
	if got.StoreID() != "otherstore" || !sameID(got.ID, otherID) {
		t.Fatalf("foreign instance changed: %+v", got)
	}
}

// 8. The safety brake guards destruction only. A runtime that lists nothing
// gets launches that collide with what is there (no duplicate, nothing
// failed, nothing removed); one that lists most instances exited, as after
// a host reboot, gets every one relaunched at once; one whose specs mostly
// vanished has the removals held until the hold expires.
func testSafetyBrake(t *testing.T, e *env) {
	uids := []string{"a", "b", "c", "d", "e", "f"}
	e.apply(e.specs(uids...)...)
	e.pass()
	before := e.list()

	parent := e.t
	defer func() { e.t = parent }()
	t.Run("ListsNothing", func(t *testing.T) {
		e.t = t
		e.rt.list = func(context.Context) ([]runtime.Instance, error) { return nil, nil }
		evs := e.pass()
		for _, k := range []store.EventKind{store.EventBrakeHeld, store.EventFailed, store.EventLaunched, store.EventRemovedOrphan} {
			if has(evs, "", k) || has(evs, "a", k) {
				t.Fatalf("events=%v %v, want no %s: a collision is not a failure", kinds(evs, ""), kinds(evs, "a"), k)
			}
		}
		e.rt.list = nil
		if evs := e.pass(); len(evs) != 0 {
			t.Fatalf("events=%v once the list is back, want none", kinds(evs, ""))
		}
		after := e.list()
		for _, uid := range uids {
			if after[uid].ID != before[uid].ID {
				t.Errorf("%s: %s became %s", uid, before[uid].ID, after[uid].ID)
			}
			if rec := e.record(uid); rec.ConsecutiveFailures != 0 {
				t.Errorf("%s: %d failures counted for a name collision", uid, rec.ConsecutiveFailures)
			}
		}
	})
	t.Run("MostExited", func(t *testing.T) {
		e.t = t
		for _, uid := range uids[:5] {
			e.exit(uid, 137)
		}
		evs := e.pass()
		if has(evs, "", store.EventBrakeHeld) {
			t.Fatalf("events=%v: the brake held relaunches back", kinds(evs, ""))
		}
		for _, uid := range uids[:5] {
			if !has(evs, uid, store.EventExited) || !has(evs, uid, store.EventRelaunched) {
				t.Fatalf("%s: events %v, want exited and relaunched in the first pass", uid, kinds(evs, uid))
			}
			if in := e.list()[uid]; in.State != runtime.StateRunning {
				t.Fatalf("%s not running after the pass: %+v", uid, in)
			}
		}
	})
	t.Run("MostDeleted", func(t *testing.T) {
		e.t = t
		if err := e.db.DeleteSpecs(context.Background(), uids[:5]...); err != nil {
			t.Fatal(err)
		}
		evs := e.pass()
		if !has(evs, "", store.EventBrakeHeld) {
			t.Fatalf("events=%v, want brake_held for 5 removals of 6", kinds(evs, ""))
		}
		for _, uid := range uids[:5] {
			if _, ok := e.list()[uid]; !ok {
				t.Fatalf("%s removed while the brake held", uid)
			}
		}
		// The brake holds for a while, then believes a view that persists.
		e.clock.Add(2 * time.Minute)
		e.pass()
		for _, uid := range uids[:5] {
			if _, ok := e.list()[uid]; ok || !has(e.allEvents(), uid, store.EventRemovedOrphan) {
				t.Fatalf("%s not removed once the hold expired", uid)
			}
		}
	})
}

func (e *env) allEvents() []*store.Event {
	evs, err := e.db.FindEvents(context.Background(), store.EventFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// 9. A spec changed while veloslet was down is replaced at start-up.
func testChangedWhileDown(t *testing.T, e *env) {
	e.apply(e.specs("a", "b")...)
	e.pass()
	e.crash()
	e.start()
	changed := e.specs("a")[0]
	changed.Env = map[string]string{"VERSION": "2"}
	e.apply(changed)
	e.restart()
	evs := e.pass()
	if !has(evs, "a", store.EventReplaced) || has(evs, "b", store.EventReplaced) {
		t.Fatalf("events=%v, want only a replaced", kinds(evs, ""))
	}
	in := e.h.WaitState(t, "a", runtime.StateRunning)
	if in.Generation() != 2 {
		t.Fatalf("a runs generation %d, want 2", in.Generation())
	}
}

// sameID compares ids that a CLI may print long in one place and short in another.
func sameID(a, b runtime.InstanceID) bool {
	n := min(len(a), len(b))
	return n > 0 && a[:n] == b[:n]
}
