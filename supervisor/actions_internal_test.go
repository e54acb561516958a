package supervisor

import "testing"

// TestKinds: every kind has a row, and the rows say what the design says:
// only replacements and orphan removals are braked (a reboot's relaunches
// must come back at once, an unhealthy one's stop is per-uid evidence); a
// targeted pass plans only launches, relaunches, stops (an unhealthy
// instance's too) and records; record-only kinds have no call.
func TestKinds(t *testing.T) {
	for _, tc := range []struct {
		kind                    ActionKind
		calls, braked, targeted bool
	}{
		{ActLaunch, true, false, true},
		{ActRelaunch, true, false, true},
		{ActReplace, true, true, false},
		{ActRestart, true, false, false},
		{ActStop, true, false, true},
		{ActRemoveOrphan, true, true, false},
		{ActRemoveDuplicate, true, false, false},
		{ActRecord, false, false, true},
		{ActForget, false, false, false},
		{ActBrake, false, false, false},
		{ActUnhealthy, true, false, true},
		{ActWait, false, false, false},
	} {
		a := &Action{Kind: tc.kind}
		if a.callsRuntime() != tc.calls || a.braked() != tc.braked || a.row().targeted != tc.targeted {
			t.Errorf("%s: calls %v braked %v targeted %v, want %v %v %v", tc.kind,
				a.callsRuntime(), a.braked(), a.row().targeted, tc.calls, tc.braked, tc.targeted)
		}
		if k := a.row(); k.settle == nil || (k.call != nil) != (k.event != "") {
			t.Errorf("%s: a row needs a settle, and an event exactly when it calls the runtime", tc.kind)
		}
	}
	if len(kinds) != 12 {
		t.Errorf("%d rows in the kinds table, %d listed here: list the new kind", len(kinds), 12)
	}
	defer func() {
		if recover() == nil {
			t.Error("a kind without a row did not panic")
		}
	}()
	(&Action{Kind: "no-such-kind"}).row()
}
