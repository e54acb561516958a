package store_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestMigration15_SpecLimits: restart_max_attempts and log_max_size are
// stored and read back; a change of restart_max_attempts keeps the
// generation (no replacement), one of log_max_size bumps it; a spec stored
// before 00015 keeps its hash; going down to 00014 and up again keeps the
// rows, without the two values.
func TestMigration15_SpecLimits(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	plain := store.Spec{UID: "plain", Restart: store.RestartOnFailure, Container: spec.Container{Image: "busybox"}}
	storetest.MustApply(t, db, plain)
	before, err := db.FindSpecByUID(ctx, "plain")
	if err != nil {
		t.Fatal(err)
	}

	s := plain
	s.UID, s.RestartMaxAttempts, s.LogMaxSize = "job", 3, 1<<20
	storetest.MustApply(t, db, s)
	got, err := db.FindSpecByUID(ctx, "job")
	if err != nil || got.RestartMaxAttempts != 3 || got.LogMaxSize != 1<<20 {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	s.RestartMaxAttempts = 5
	if r := storetest.MustApply(t, db, s); r[0].Generation != got.Generation {
		t.Fatalf("changing restart_max_attempts: %+v, want generation %d kept", r[0], got.Generation)
	}
	if again, _ := db.FindSpecByUID(ctx, "job"); again.RestartMaxAttempts != 5 || again.SpecHash != got.SpecHash {
		t.Fatalf("after the policy change: attempts %d hash %s, want 5 and %s", again.RestartMaxAttempts, again.SpecHash, got.SpecHash)
	}
	s.LogMaxSize = 2 << 20
	if r := storetest.MustApply(t, db, s); r[0].Generation != got.Generation+1 {
		t.Fatalf("changing log_max_size: %+v, want generation %d", r[0], got.Generation+1)
	}

	if err := db.MigrateDownTo(ctx, 14); err != nil {
		t.Fatalf("down to 14: %v", err)
	}
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	after, err := db.FindSpecByUID(ctx, "plain")
	if err != nil || after.SpecHash != before.SpecHash || after.Generation != before.Generation {
		t.Fatalf("plain after down and up: %+v, %v", after, err)
	}
	job, err := db.FindSpecByUID(ctx, "job")
	if err != nil || job.RestartMaxAttempts != 0 || job.LogMaxSize != 0 {
		t.Fatalf("job after down and up: %+v, %v", job, err)
	}
}

// TestSpecLimits_BadRowInvalid: a row written with sqlite3 whose new
// values the schema lets through but validation refuses is isolated as
// invalid, naming the field; a negative value the schema refuses itself.
func TestSpecLimits_BadRowInvalid(t *testing.T) {
	ctx := context.Background()
	db := storetest.MustOpenDB(t)
	storetest.MustApply(t, db, store.Spec{UID: "good", Container: spec.Container{Image: "nginx"}})
	sql3(t, db.Path(), `
		INSERT INTO specs (uid, image, restart, restart_max_attempts, created_at, updated_at) VALUES ('bad-attempts', 'busybox', 'always', 3, 1, 1);
		INSERT INTO specs (uid, image, log_max_size, created_at, updated_at) VALUES ('bad-logsize', 'busybox', 100, 1, 1);`)
	st, err := db.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Specs) != 1 || st.Specs[0].UID != "good" {
		t.Fatalf("specs = %d, want only good", len(st.Specs))
	}
	if got := strings.Join(invalidUIDs(st.Invalid), " "); got != "bad-attempts bad-logsize" {
		t.Fatalf("invalid = %q", got)
	}
	want := map[string]string{"bad-attempts": `restart_max_attempts = 3: needs restart = "on-failure"`, "bad-logsize": "log_max_size = 100: must be 0"}
	for _, v := range st.Invalid {
		if !strings.Contains(v.Reason, want[v.UID]) {
			t.Errorf("%s: reason %q, want %q in it", v.UID, v.Reason, want[v.UID])
		}
	}
	for _, q := range []string{
		`UPDATE specs SET restart_max_attempts = -1 WHERE uid = 'good'`,
		`UPDATE specs SET log_max_size = -1 WHERE uid = 'good'`,
	} {
		if out, err := sql3Err(t, db.Path(), q); err == nil || !strings.Contains(out, "CHECK constraint failed") {
			t.Errorf("%s: %v %s, want a CHECK failure", q, err, out)
		}
	}
}

// sql3Err runs q with sqlite3 and returns its output and error, for a
// statement that is meant to fail.
func sql3Err(t *testing.T, path, q string) (string, error) {
	t.Helper()
	out, err := exec.Command(storetest.NeedTool(t, "sqlite3"), path, q).CombinedOutput()
	return string(out), err
}
