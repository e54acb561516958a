package main

import (
	"os"
	"strings"
	"testing"
)

// TestApply_Prune: --prune deletes the specs in scope (here a selector) that
// the input no longer holds, after a --dry-run that names them and writes
// nothing; a spec outside the scope is never touched, and a plain file with
// no scope is refused.
func TestApply_Prune(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`[{"uid":"a1","image":"busybox","labels":{"team":"a"}},{"uid":"a2","image":"busybox","labels":{"team":"a"}},{"uid":"b1","image":"busybox","labels":{"team":"b"}}]`, "apply", "-f", "-")
	next := `[{"uid":"a1","image":"busybox","labels":{"team":"a"}},{"uid":"a3","image":"busybox","labels":{"team":"a"}}]`
	_, errOut, code := e.run(next, "apply", "-f", "-", "--prune", "-l", "team=a", "--dry-run")
	if code != 0 || errOut != "prune: would delete a2 (not in the input)\n" {
		t.Fatalf("--dry-run --prune: exit %d, stderr %q", code, errOut)
	}
	if out := e.mustRun("", "status", "-l", "team=a"); strings.Contains(out, "a3") || !strings.Contains(out, "a2") {
		t.Fatalf("--dry-run wrote:\n%s", out)
	}
	out := e.mustRun(next, "apply", "-f", "-", "--prune", "-l", "team=a")
	if out != "a1 unchanged\na3 created\na2 deleted (pruned: not in the input)\n" {
		t.Fatalf("--prune printed %q", out)
	}
	status := e.mustRun("", "status")
	if strings.Contains(status, "a2 ") || !strings.Contains(status, "b1") {
		t.Fatalf("after --prune:\n%s", status)
	}
	if _, errOut, code := e.run(next, "apply", "-f", "-", "--prune"); code != ExitUsage || !strings.Contains(errOut, "needs a scope") {
		t.Fatalf("--prune with no scope: exit %d, %q", code, errOut)
	}
}

// TestApply_PruneCompose: a compose file is the whole of its project, so
// --prune deletes the project's services it no longer lists.
func TestApply_PruneCompose(t *testing.T) {
	e := newTestEnv(t, "")
	dir := t.TempDir()
	write := func(body string) string {
		t.Helper()
		path := dir + "/compose.yaml"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	two := "name: shop\nservices:\n  web:\n    image: busybox\n  db:\n    image: busybox\n"
	e.mustRun("", "apply", "-f", write(two))
	out := e.mustRun("", "apply", "-f", write("name: shop\nservices:\n  web:\n    image: busybox\n"), "--prune")
	if !strings.Contains(out, "shop-web unchanged\n") || !strings.Contains(out, "shop-db deleted (pruned: not in the input)\n") {
		t.Fatalf("--prune of a compose project printed %q", out)
	}
}
