package store_test

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// sql3 runs statements with the sqlite3 CLI, as an operator would, and
// fails the test if sqlite3 refuses them.
func sql3(t *testing.T, path, q string) string {
	t.Helper()
	out, err := exec.Command(storetest.NeedTool(t, "sqlite3"), path, q).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v: %s\n%s", err, out, q)
	}
	return strings.TrimSpace(string(out))
}

// relax drops the triggers that check JSON elements, standing in for a row
// the schema lets through but the code refuses.
func relax(t *testing.T, db *store.DB) {
	t.Helper()
	sql3(t, db.Path(), "DROP TRIGGER IF EXISTS specs_check_insert; DROP TRIGGER IF EXISTS specs_check_update;")
}

func invalidUIDs(invalid []*store.InvalidSpec) []string {
	var out []string
	for _, v := range invalid {
		out = append(out, v.UID)
	}
	slices.Sort(out)
	return out
}

// refusedByTrigger matches the message of the JSON element triggers.
var refusedByTrigger = regexp.MustCompile(`specs\.(command|env|labels): |cannot store REAL value in INTEGER column`)

// TestSchema_RefusesWhatTheCodeRefuses types each bad row of issue 13 into
// sqlite3: the schema must refuse it (a CHECK, or a trigger on JSON elements).
func TestSchema_RefusesWhatTheCodeRefuses(t *testing.T) {
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "web", Container: spec.Container{Image: "nginx"}})
	sqlite3 := storetest.NeedTool(t, "sqlite3")
	for _, tc := range []struct{ name, q string }{
		{"EnvNumber", `INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('a', 'busybox', '{"PORT": 8080}', 0, 0)`},
		{"CommandNumber", `INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('a', 'busybox', '["sleep", 100]', 0, 0)`},
		{"NULInUID", `INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('a' || char(0) || 'b', 'busybox', 0, 0)`},
		{"NULInImage", `INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('a', 'busybox' || char(0) || '-x', 0, 0)`},
		{"NULEscapeInEnv", `INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('a', 'busybox', '{"A": "x\u0000y"}', 0, 0)`},
		{"NULEscapeInCommand", `INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('a', 'busybox', '["x\u0000"]', 0, 0)`},
		{"LabelNumber", `INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('a', 'busybox', '{"app": 1}', 0, 0)`},
		{"ReservedLabel", `INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('a', 'busybox', '{"velos.uid": "x"}', 0, 0)`},
		{"ReservedLabelUpperCase", `INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('a', 'busybox', '{"VELOS.Store": "x"}', 0, 0)`},
		{"LabelEquals", `INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('a', 'busybox', '{"app": "k=v"}', 0, 0)`},
		{"UpdateLabelEquals", `UPDATE specs SET labels = '{"app": "k=v"}' WHERE uid = 'web'`},
		{"MemoryFraction", `INSERT INTO specs (uid, image, memory, created_at, updated_at) VALUES ('a', 'busybox', 0.5, 0, 0)`},
		{"UpdateMemoryFraction", `UPDATE specs SET memory = 0.5 WHERE uid = 'web'`},
		{"LabelLineBreak", `INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('a', 'busybox', '{"app": "x\ny"}', 0, 0)`},
		{"EnvKey", `INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('a', 'busybox', '{"1A": "x"}', 0, 0)`},
		{"MemoryAbove1PiB", `INSERT INTO specs (uid, image, memory, created_at, updated_at) VALUES ('a', 'busybox', 1125899906842625, 0, 0)`},
		{"TooManyArgs", `INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('a', 'busybox', '[` + strings.Repeat(`"x",`, 256) + `"x"]', 0, 0)`},
		{"UpdateEnvNumber", `UPDATE specs SET env = '{"PORT": 8080}' WHERE uid = 'web'`},
		{"UpdateCommandNumber", `UPDATE specs SET command = '["sleep", 100]' WHERE uid = 'web'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A uid of its own: a refusal must come from a check, not the primary key.
			q := strings.ReplaceAll(tc.q, "('a'", "('"+strings.ToLower(tc.name)+"'")
			out, err := exec.Command(sqlite3, db.Path(), q).CombinedOutput()
			if err == nil || !(strings.Contains(string(out), "CHECK constraint failed") || refusedByTrigger.Match(out)) {
				t.Fatalf("accepted, or refused for another reason: err=%v out=%s", err, out)
			}
		})
	}
	t.Run("EscapedBackslashIsNotNUL", func(t *testing.T) {
		sql3(t, db.Path(), `INSERT INTO specs (uid, image, env, labels, created_at, updated_at)
			VALUES ('ok', 'busybox', '{"A": "x\\u0000y"}', '{"Velo.x": "y"}', 0, 0)`)
	})
	st, err := db.ReadState(context.Background())
	if err != nil || len(st.Specs) != 2 || len(st.Invalid) != 0 {
		t.Fatalf("ReadState = %d specs, invalid %v, %v; want web and ok, none invalid", len(st.Specs), invalidUIDs(st.Invalid), err)
	}
}

// TestDB_ReadState_InvalidRowIsolated: rows the code cannot decode or
// validate are returned as invalid, with the reason, and every other spec
// is read (issue 13, point 7: such a row used to fail every read).
func TestDB_ReadState_InvalidRowIsolated(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "good", Container: spec.Container{Image: "nginx"}})
	relax(t, db)
	sql3(t, db.Path(), `
		INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('bad-env', 'busybox', '{"PORT": 8080}', 1, 1);
		INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('bad-cmd', 'busybox', '["sleep", 100]', 1, 1);
		INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('bad-label', 'busybox', '{"Velos.uid": "x"}', 1, 1);`)
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatalf("ReadState: %v", err)
	}
	if len(st.Specs) != 1 || st.Specs[0].UID != "good" {
		t.Fatalf("specs = %d, want only good", len(st.Specs))
	}
	if got, want := strings.Join(invalidUIDs(st.Invalid), " "), "bad-cmd bad-env bad-label"; got != want {
		t.Fatalf("invalid = %q, want %q", got, want)
	}
	reasons := map[string]string{"bad-env": "column env", "bad-cmd": "column command", "bad-label": "reserved"}
	for _, v := range st.Invalid {
		if !strings.Contains(v.Reason, reasons[v.UID]) || v.SpecHash == "" || v.UpdatedAt.Time().IsZero() {
			t.Errorf("%s: reason %q, hash %q, updated %v; want %q in the reason and the row's version", v.UID, v.Reason, v.SpecHash, v.UpdatedAt.Time(), reasons[v.UID])
		}
	}
	// Cached: an unchanged bad row is not decoded again.
	again, err := db.ReadState(ctx)
	if err != nil || len(again.Invalid) != 3 {
		t.Fatalf("second ReadState: %v invalid, %v", invalidUIDs(again.Invalid), err)
	}
	for i := range again.Invalid {
		if !slices.Contains(st.Invalid, again.Invalid[i]) {
			t.Fatalf("invalid %s decoded again", again.Invalid[i].UID)
		}
	}
	// The status shows them invalid before any pass has noted them.
	rows, err := db.FindStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		wantInvalid := r.UID != "good"
		if (r.State == store.StateInvalid) != wantInvalid || (r.InvalidReason != nil) != wantInvalid {
			t.Errorf("status %s: state %s, reason %v", r.UID, r.State, r.InvalidReason)
		}
	}
}

// TestDB_NoteInvalid: one invalid event per row version, nothing written
// when nothing changed, and the row gone once the spec is fixed.
func TestDB_NoteInvalid(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "good", Container: spec.Container{Image: "nginx"}})
	relax(t, db)
	sql3(t, db.Path(), `
		INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('bad-env', 'busybox', '{"PORT": 8080}', 1, 1);
		INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('bad-cmd', 'busybox', '["sleep", 100]', 1, 1);`)
	note := func() {
		t.Helper()
		st, err := db.ReadState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.NoteInvalid(ctx, 7, st.Invalid); err != nil {
			t.Fatalf("NoteInvalid: %v", err)
		}
	}
	events := func() []*store.Event {
		t.Helper()
		evs, err := db.FindEvents(ctx, store.EventFilter{Kind: store.EventInvalid})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	noted := func() string {
		return sql3(t, db.Path(), "SELECT group_concat(uid, ' ') FROM (SELECT uid FROM invalid_specs ORDER BY uid)")
	}

	note()
	if evs := events(); len(evs) != 2 || evs[0].PassID == nil || *evs[0].PassID != 7 || evs[0].Reason == "" {
		t.Fatalf("events after the first note: %d, want 2 with pass 7 and a reason", len(evs))
	}
	if got := noted(); got != "bad-cmd bad-env" {
		t.Fatalf("invalid_specs = %q", got)
	}
	t.Run("NothingChangedWritesNothing", func(t *testing.T) {
		before, err := storetest.TotalChanges(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		note()
		note()
		if after, _ := storetest.TotalChanges(ctx, db); after != before {
			t.Fatalf("%d rows written by notes with nothing new", after-before)
		}
		if evs := events(); len(evs) != 2 {
			t.Fatalf("%d invalid events, want still 2", len(evs))
		}
	})
	t.Run("NewVersionNotedOnce", func(t *testing.T) {
		sql3(t, db.Path(), `UPDATE specs SET env = '{"PORT": 8081}' WHERE uid = 'bad-env'`)
		note()
		note()
		if evs := events(); len(evs) != 3 || evs[2].UID != "bad-env" {
			t.Fatalf("%d invalid events, want 3, the last for bad-env", len(evs))
		}
	})
	t.Run("AnotherHandleNotesNothingNew", func(t *testing.T) {
		// A fresh handle (a one-off pass of the CLI) finds the same in the table.
		other := storetest.MustOpenDBAt(t, db.Path())
		st, err := other.ReadState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.NoteInvalid(ctx, 8, st.Invalid); err != nil {
			t.Fatal(err)
		}
		if evs := events(); len(evs) != 3 {
			t.Fatalf("%d invalid events after another handle noted the same, want 3", len(evs))
		}
		_ = other.Close()
	})
	t.Run("FixedRowForgotten", func(t *testing.T) {
		// Fixed by apply and delete (through this handle: with two handles
		// open in one process, modernc's connections stop seeing commits of
		// another process, which sqlite3 would be).
		storetest.MustApply(t, db, store.Spec{UID: "bad-env", Container: spec.Container{Image: "busybox", Env: map[string]string{"PORT": "8080"}}})
		if err := db.DeleteSpecs(ctx, "bad-cmd"); err != nil {
			t.Fatal(err)
		}
		note()
		if got := noted(); got != "" {
			t.Fatalf("invalid_specs = %q, want empty", got)
		}
		st, err := db.ReadState(ctx)
		if err != nil || len(st.Specs) != 2 || len(st.Invalid) != 0 {
			t.Fatalf("ReadState: %d specs, invalid %v, %v", len(st.Specs), invalidUIDs(st.Invalid), err)
		}
	})
}

// TestMigrate_BadRowsRejectedNotLost: rows of the old schema that break the
// checks of migration 00004 move to specs_rejected (the migration does not
// fail), are read as invalid, and come back with a migration down.
func TestMigrate_BadRowsRejectedNotLost(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	if err := db.MigrateDownTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	sql3(t, db.Path(), `
		INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('good', 'busybox', 1, 1);
		INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('bad-env', 'busybox', '{"PORT": 8080}', 1, 1);
		INSERT INTO specs (uid, image, command, created_at, updated_at) VALUES ('bad-cmd', 'busybox', '["sleep", 100]', 1, 1);
		INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('bad-uid' || char(0) || 'x', 'busybox', 1, 1);
		INSERT INTO specs (uid, image, created_at, updated_at) VALUES ('bad-image', 'busybox' || char(0) || ' x', 1, 1);
		INSERT INTO specs (uid, image, labels, created_at, updated_at) VALUES ('bad-label', 'busybox', '{"VELOS.x": "y"}', 1, 1);
		INSERT INTO specs (uid, image, memory, created_at, updated_at) VALUES ('bad-memory', 'busybox', 1125899906842625, 1, 1);`)
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up with bad rows: %v", err)
	}
	if got := sql3(t, db.Path(), "SELECT count(*) FROM specs_rejected WHERE reason LIKE 'rejected by migration 00004: %'"); got != "6" {
		t.Fatalf("%s rows in specs_rejected, want 6", got)
	}
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatalf("ReadState: %v", err)
	}
	if len(st.Specs) != 1 || st.Specs[0].UID != "good" || len(st.Invalid) != 6 {
		t.Fatalf("specs %d, invalid %q; want good and 6 invalid", len(st.Specs), invalidUIDs(st.Invalid))
	}
	for _, v := range st.Invalid {
		if !v.Rejected || !strings.Contains(v.Reason, "migration 00004") {
			t.Errorf("invalid %q: rejected %v, reason %q", v.UID, v.Rejected, v.Reason)
		}
	}
	rows, err := db.FindStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	invalid := 0
	for _, r := range rows {
		if r.State == store.StateInvalid {
			invalid++
		}
	}
	if invalid != 6 {
		t.Fatalf("%d status rows invalid, want 6", invalid)
	}
	// A fixed row in specs wins over its rejected copy.
	sql3(t, db.Path(), `INSERT INTO specs (uid, image, env, created_at, updated_at) VALUES ('bad-env', 'busybox', '{"PORT": "8080"}', 2, 2)`)
	if st, err = db.ReadState(ctx); err != nil || len(st.Specs) != 2 || len(st.Invalid) != 5 {
		t.Fatalf("after the fix: %d specs, invalid %q, %v", len(st.Specs), invalidUIDs(st.Invalid), err)
	}
	if err := db.MigrateDownTo(ctx, 3); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := sql3(t, db.Path(), "SELECT count(*) FROM specs"); got != "7" {
		t.Fatalf("%s specs after down, want 7", got)
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
