package main

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestReadOnlyVerbs_AnswerWhileAWriterHoldsTheLock runs status, events,
// plan, describe and logs --previous while a sqlite3 session holds BEGIN IMMEDIATE: they read without
// asking for the write lock, so they answer (before, each failed with
// SQLITE_BUSY after the 5 s busy timeout).
func TestReadOnlyVerbs_AnswerWhileAWriterHoldsTheLock(t *testing.T) {
	sqlite3 := storetest.NeedTool(t, "sqlite3")
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(2), "apply", "-f", "-")
	e.mustRun("", "reconcile")
	e.mustRun("", "fake", "exit", "s000", "--code", "3")
	e.mustRun("", "reconcile") // keeps the exit's output

	cmd := exec.Command(sqlite3, e.DB)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	// Take the write lock and say so; the session then waits on stdin.
	if _, err := io.WriteString(stdin, "BEGIN IMMEDIATE;\nINSERT INTO meta(key, value) VALUES ('held', '1');\nSELECT 'holding';\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "holding" {
		t.Fatalf("sqlite3 did not take the lock: %q, %v", line, err)
	}
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"events"}, {"plan"},
		{"describe", "s000"}, {"logs", "s000", "--previous"}} {
		out, errOut, code := e.run("", args...)
		if code != 0 {
			t.Errorf("%v while a writer holds the lock: exit %d: %s", args, code, errOut)
			continue
		}
		if (args[0] == "status" || args[0] == "describe") && !strings.Contains(out, "s000") {
			t.Errorf("%v printed no spec: %s", args, out)
		}
	}
}

// TestReadOnlyVerbs_DoNotMigrate rolls a file back one schema version:
// reading verbs refuse it with a clear message and leave it at its version.
func TestReadOnlyVerbs_DoNotMigrate(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(1), "apply", "-f", "-")
	db := e.OpenDB()
	st, err := db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	older := st[len(st)-2].Version
	storetest.MigrateDownTo(t, e.DB, older)
	for _, args := range [][]string{{"status"}, {"events"}, {"plan"}, {"describe", "s000"}, {"logs", "s000", "--previous"}} {
		_, errOut, code := e.run("", args...)
		if code == 0 || !strings.Contains(errOut, "older than this veloslet") {
			t.Errorf("%v on an older file: exit %d, %q; want a refusal", args, code, errOut)
		}
	}
	st, err = db.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if last := st[len(st)-1]; last.Applied {
		t.Fatalf("a reading verb migrated the file to %d", last.Version)
	}
}
