package podman_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
)

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// testdata/ps.json is `podman ps -a --format json` from podman 4.3.1: one
// running container of ours, one exited with code 3, one not ours.
func TestParsePS_Fixture(t *testing.T) {
	list, err := podman.ParsePS(readFixture(t, "ps.json"), "velos-")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%d instances, want the 2 named velos-: %+v", len(list), list)
	}
	run, exit := list[0], list[1]
	if run.UID != "fx1" || run.State != runtime.StateRunning || run.Generation() != 3 || run.SpecHash() != "abc" ||
		run.StoreID() != "st1" || !strings.HasPrefix(string(run.ID), "9a40b7b8") || run.StartedAt.IsZero() {
		t.Errorf("running instance parsed as %+v", run)
	}
	if exit.UID != "fx2" || exit.State != runtime.StateExited || exit.ExitCode == nil || *exit.ExitCode != 3 {
		t.Errorf("exited instance parsed as %+v", exit)
	}
}

func TestParseEvent_Fixture(t *testing.T) {
	ev, ok, err := podman.ParseEvent(readFixture(t, "event-died.json"), "velos-")
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if ev.UID != "ev1" || ev.Kind != runtime.EventDied || ev.ExitCode == nil || *ev.ExitCode != 7 {
		t.Fatalf("event parsed as %+v", ev)
	}
	want := time.Date(2026, 11, 29, 7, 8, 59, 821379672, time.UTC)
	in := ev.Instance
	if !ev.At.Equal(want) || in == nil || in.UID != "ev1" || in.Name != "velos-ev1" || in.State != runtime.StateExited ||
		in.ID != "48be09d6511f427d706817a33a0a4747b3ae18237bf4d0330b87697d8dccfb1e" || in.ExitCode == nil || *in.ExitCode != 7 ||
		in.StoreID() != "st1" || in.SpecHash() != "h1" || in.Generation() != 2 {
		t.Fatalf("event at %v shows %+v, want the dead instance at %v", ev.At, in, want)
	}
}

// TestParseEvent_Times: podman wrote the time as an RFC 3339 "Time" string
// and later as unix "time" and "timeNano"; a line with neither, or a bad
// one, has no time (and so is never planned from without a look).
func TestParseEvent_Times(t *testing.T) {
	nano := time.Date(2026, 11, 29, 7, 6, 4, 449840742, time.UTC)
	for _, c := range []struct {
		field string
		want  time.Time
	}{
		{`"time":1795935964,"timeNano":1795935964449840742`, nano},
		{`"time":1795935964`, nano.Truncate(time.Second)},
		{`"Time":"2026-11-29T07:06:04.449840742Z"`, nano},
		{`"Time":"yesterday"`, time.Time{}},
		{`"Type":"container"`, time.Time{}},
	} {
		line := `{"ContainerExitCode":1,"ID":"abc","Name":"velos-t1","Status":"died",` + c.field + `,"Attributes":{}}`
		ev, ok, err := podman.ParseEvent([]byte(line), "velos-")
		if err != nil || !ok || !ev.At.Equal(c.want) {
			t.Errorf("%s: at %v ok=%v err=%v, want %v", c.field, ev.At, ok, err, c.want)
		}
	}
}

// FuzzParsePS: no panic on any output; a rejection says what it parsed and
// shows the start of the output; every instance it returns is ours by name
// and has a uid and an id.
func FuzzParsePS(f *testing.F) {
	f.Add(readFixture(f, "ps.json"))
	for _, s := range []string{"", "null", "[]", `[{"Id": "", "Names": ["velos-a"]}]`, `[{"Id": "x", "Names": ["velos-"]}]`,
		`[{"Id": "x", "Names": ["velos-a"], "State": "paused", "ExitCode": -1, "StartedAt": 99999999999999}]`,
		"Error: cannot connect to Podman\n", `{"Id": "x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := podman.ParsePS(data, "velos-")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse podman ps: ") {
				t.Fatalf("unclear error: %v", err)
			}
			return
		}
		for _, in := range list {
			if in.UID == "" || in.ID == "" || in.Name != "velos-"+in.UID {
				t.Fatalf("bad instance %+v", in)
			}
		}
	})
}

// FuzzParseEvent: no panic; only a death of one of ours is reported.
func FuzzParseEvent(f *testing.F) {
	f.Add(readFixture(f, "event-died.json"))
	for _, s := range []string{"", "{}", `{"Status": "died", "Name": "velos-"}`, `{"Status": "start", "Name": "velos-a"}`,
		`{"Status": "died", "Name": "other", "ContainerExitCode": 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, ok, err := podman.ParseEvent(line, "velos-")
		switch {
		case err != nil && !strings.HasPrefix(err.Error(), "parse podman event: "):
			t.Fatalf("unclear error: %v", err)
		case ok && (ev.UID == "" || ev.Kind != runtime.EventDied):
			t.Fatalf("bad event %+v", ev)
		}
	})
}

// TestVouch: a pass plans from an event's instance only when podman runs on
// this host and the event came after the stream started (not one --since
// replayed).
func TestVouch(t *testing.T) {
	started := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at    time.Time
		local bool
		keep  bool
	}{
		{started.Add(time.Millisecond), true, true},
		{started.Add(-time.Millisecond), true, false},
		{started.Add(time.Millisecond), false, false},
		{time.Time{}, true, false},
	} {
		ev := runtime.Event{At: c.at, Instance: &runtime.Instance{ID: "x"}}
		podman.Vouch(&ev, c.local, started)
		if (ev.Instance != nil) != c.keep {
			t.Errorf("at %v local %v: instance kept %v, want %v", c.at, c.local, ev.Instance != nil, c.keep)
		}
	}
}
