package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelection_Project: every verb that takes uids takes --project NAME
// for the services of one compose project, and leaves other specs alone.
func TestSelection_Project(t *testing.T) {
	e := newTestEnv(t, "")
	path := filepath.Join(t.TempDir(), "compose.yaml")
	compose := "name: shop\nservices:\n  web:\n    image: busybox\n    command: [echo, hello]\n  db:\n    image: busybox\n"
	if err := os.WriteFile(path, []byte(compose), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun("", "apply", "-f", path)
	e.mustRun(`{"uid":"other","image":"busybox"}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "stop", "--project", "shop"); out != "shop-db desired state stopped\nshop-web desired state stopped\n" {
		t.Errorf("stop --project shop printed %q", out)
	}
	if out := e.mustRun("", "start", "--project", "shop"); strings.Count(out, "desired state running") != 2 || strings.Contains(out, "other") {
		t.Errorf("start --project shop printed %q", out)
	}
	e.mustRun("", "reconcile")
	if out := e.mustRun("", "restart", "--project", "shop"); !strings.Contains(out, "restart of shop-db, shop-web requested") {
		t.Errorf("restart --project shop printed %q", out)
	}
	if out := e.mustRun("", "logs", "--project", "shop", "--tail", "1"); !strings.Contains(out, "shop-web | hello\n") || strings.Contains(out, "other") {
		t.Errorf("logs --project shop printed %q", out)
	}
	if out := e.mustRun("", "describe", "--project", "shop"); strings.Count(out, " — ") != 2 || strings.Contains(out, "other —") {
		t.Errorf("describe --project shop printed:\n%s", out)
	}
	if _, errOut, code := e.run("", "stop", "--project", "shop", "-l", "team=a"); code != ExitUsage {
		t.Errorf("stop with --project and -l: exit %d (%q)", code, errOut)
	}
}
