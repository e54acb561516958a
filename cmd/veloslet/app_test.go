package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/store/storetest"
)

// TestApp_NotesDefaults: with no config file, a writing verb says which
// database and backend it uses; with one, or for a reading verb, it does not.
func TestApp_NotesDefaults(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	storetest.MustSeedMigrated(t, db) // what is tested is the note, not a migration
	run := func(env map[string]string, args ...string) string {
		var out, errb bytes.Buffer
		m := NewMain()
		m.Stdin, m.Stdout, m.Stderr = strings.NewReader(`{"uid":"web","image":"nginx"}`), &out, &errb
		m.Getenv = func(k string) string { return env[k] }
		if code := m.Execute(context.Background(), args); code != 0 {
			t.Fatalf("veloslet %v: exit %d: %s", args, code, errb.String())
		}
		return errb.String()
	}
	want := "no config file (--config or $VELOSLET_CONFIG): using " + db + ", backend "
	if got := run(nil, "--db", db, "apply", "-f", "-"); !strings.Contains(got, want) {
		t.Errorf("apply without a config: stderr %q, want it to contain %q", got, want)
	}
	if got := run(nil, "--db", db, "status"); strings.Contains(got, "no config file") {
		t.Errorf("status noted the defaults: %q", got)
	}
	e := newTestEnv(t, "")
	if got := run(map[string]string{EnvConfig: e.Config}, "apply", "-f", "-"); strings.Contains(got, "no config file") {
		t.Errorf("apply with a config noted the defaults: %q", got)
	}
}
