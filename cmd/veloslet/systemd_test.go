package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestSystemd_Unit prints the system and the user unit and has systemd's own
// checker read each one.
func TestSystemd_Unit(t *testing.T) {
	e := newTestEnv(t, "")
	bin := clitest.Bin(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"System", []string{"systemd", "--binary", bin}, []string{
			"Type=notify", "ExecStart=" + bin + " --config " + e.Config + " serve",
			"ExecReload=/bin/kill -HUP $MAINPID", "KillMode=process", "Restart=on-failure",
			"RestartPreventExitStatus=2", "TimeoutStopSec=45", "WatchdogSec=60", "WantedBy=multi-user.target"}},
		{"User", []string{"systemd", "--user", "--binary", bin}, []string{
			"Type=notify", "WantedBy=default.target"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := e.mustRun("", tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(out, "\n"+w+"\n") {
					t.Errorf("unit lacks the line %q:\n%s", w, out)
				}
			}
			if tc.name == "User" && strings.Contains(out, "network-online.target") {
				t.Errorf("a user unit cannot order itself after a system target:\n%s", out)
			}
			unit := filepath.Join(t.TempDir(), "veloslet.service")
			if err := os.WriteFile(unit, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			// The system manager's checker reads a user unit's syntax the same
			// way; --user needs a login session this test may not have.
			verify := exec.Command(storetest.NeedTool(t, "systemd-analyze"), "verify", unit)
			if b, err := verify.CombinedOutput(); err != nil || strings.Contains(string(b), "veloslet.service") {
				t.Fatalf("systemd-analyze verify: %v\n%s\nunit:\n%s", err, b, out)
			}
		})
	}
}

// TestSystemd_RefusesOddPaths: systemd splits ExecStart on spaces and expands
// % and $, so such a path would start something else than was printed.
func TestSystemd_RefusesOddPaths(t *testing.T) {
	e := newTestEnv(t, "")
	for _, bin := range []string{"/opt/my tools/veloslet", "/opt/%h/veloslet", "/opt/$HOME/veloslet"} {
		_, stderr, code := e.run("", "systemd", "--binary", bin)
		if code != 2 || !strings.Contains(stderr, bin) {
			t.Errorf("--binary %q: exit %d, stderr %q; want 2 naming the path", bin, code, stderr)
		}
	}
}
