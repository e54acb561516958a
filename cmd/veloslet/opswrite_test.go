package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store/storetest"
)

// TestOps_WriteWaitsWithTimeout: the hand write docs/ops.md shows, run by
// sqlite3 while another connection holds the write lock (as a pass does for
// a moment), fails at once with "database is locked" without a busy timeout
// and waits and succeeds with the documented `.timeout 5000`.
func TestOps_WriteWaitsWithTimeout(t *testing.T) {
	bin := storetest.NeedTool(t, "sqlite3")
	doc, err := os.ReadFile("../../docs/ops.md")
	if err != nil {
		t.Fatal(err)
	}
	const shown = `sqlite3 -cmd '.timeout 5000' ~/.local/state/veloslet/veloslet.db "UPDATE specs SET desired_state = 'stopped' WHERE uid = 'web';"`
	if !strings.Contains(string(doc), shown) {
		t.Fatalf("docs/ops.md no longer shows the write:\n%s", shown)
	}
	update := "UPDATE specs SET desired_state = 'stopped' WHERE uid = 'web';"
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "busybox"}`, "apply", "-f", "-")
	db := e.OpenDB()
	tx, err := db.BeginTx(context.Background()) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, e.DB, update).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "database is locked") {
		tx.Rollback()
		t.Fatalf("without a busy timeout: %v %s; want database is locked", err, out)
	}
	release := time.AfterFunc(300*time.Millisecond, tx.Rollback)
	defer release.Stop()
	if out, err := exec.Command(bin, "-cmd", ".timeout 5000", e.DB, update).CombinedOutput(); err != nil {
		t.Fatalf("with .timeout 5000: %v %s", err, out)
	}
	if got := sqlite(t, e.DB, "SELECT desired_state FROM specs WHERE uid = 'web'"); len(got) != 2 || got[1][0] != "stopped" {
		t.Fatalf("after the write: %q", got)
	}
}
