package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"howett.net/plist"
)

func TestLaunchd_Plist(t *testing.T) {
	e := newTestEnv(t, "")
	for _, tc := range []struct {
		name string
		args []string
		want launchdJob
	}{
		{"Agent", []string{"launchd", "--os", "darwin", "--binary", "/usr/local/bin/veloslet"}, launchdJob{
			Label: DefaultLaunchdLabel, ProgramArguments: []string{"/usr/local/bin/veloslet", "--config", e.Config, "serve"},
			StandardOutPath: "Library/Logs/veloslet.log"}},
		{"Daemon", []string{"launchd", "--os", "darwin", "--daemon", "--label", "com.example.velos", "--binary", "/opt/v/veloslet",
			"--user", "ops", "--log", "/var/log/v.log"}, launchdJob{
			Label: "com.example.velos", ProgramArguments: []string{"/opt/v/veloslet", "--config", e.Config, "serve"},
			StandardOutPath: "/var/log/v.log", UserName: "ops"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := e.mustRun("", tc.args...)
			var got map[string]any
			if _, err := plist.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("not a plist: %v\n%s", err, out)
			}
			keys := []string{"Label", "ProgramArguments", "RunAtLoad", "KeepAlive", "ThrottleInterval", "ExitTimeOut",
				"ProcessType", "EnvironmentVariables", "StandardOutPath", "StandardErrorPath"}
			if tc.want.UserName != "" {
				keys = append(keys, "UserName")
			}
			for _, k := range keys {
				if _, ok := got[k]; !ok {
					t.Errorf("plist lacks %s", k)
				}
			}
			if len(got) != len(keys) {
				t.Errorf("plist has %d keys, want %d: %v", len(got), len(keys), got)
			}
			var job launchdJob
			if _, err := plist.Unmarshal([]byte(out), &job); err != nil {
				t.Fatal(err)
			}
			if job.Label != tc.want.Label || !slices.Equal(job.ProgramArguments, tc.want.ProgramArguments) {
				t.Errorf("label %q args %q, want %q %q", job.Label, job.ProgramArguments, tc.want.Label, tc.want.ProgramArguments)
			}
			for _, a := range job.ProgramArguments {
				if a != "serve" && a != "--config" && !filepath.IsAbs(a) {
					t.Errorf("argument %q is not absolute", a)
				}
			}
			if !job.RunAtLoad || job.ThrottleInterval != 10 || job.ExitTimeOut <= 30 {
				t.Errorf("job=%+v: want RunAtLoad, ThrottleInterval 10, ExitTimeOut over the 30 s shutdown", job)
			}
			// KeepAlive = {SuccessfulExit = false}: restarted after a
			// failure, left stopped after a clean exit.
			if ka, ok := got["KeepAlive"].(map[string]any); !ok || len(ka) != 1 || ka["SuccessfulExit"] != false {
				t.Errorf("KeepAlive=%#v, want {SuccessfulExit: false}", got["KeepAlive"])
			}
			if p := job.EnvironmentVariables["PATH"]; !strings.Contains(p, "/usr/local/bin") || !strings.Contains(p, "/opt/homebrew/bin") {
				t.Errorf("PATH=%q lacks the install folders", p)
			}
			if !strings.HasSuffix(job.StandardOutPath, tc.want.StandardOutPath) || job.StandardErrorPath != job.StandardOutPath {
				t.Errorf("log paths %q %q, want …%s for both", job.StandardOutPath, job.StandardErrorPath, tc.want.StandardOutPath)
			}
			if job.UserName != tc.want.UserName {
				t.Errorf("UserName=%q, want %q", job.UserName, tc.want.UserName)
			}
		})
	}
	if _, errOut, code := e.run("", "launchd", "--os", "darwin", "--user", "ops"); code != ExitUsage || !strings.Contains(errOut, "--daemon") {
		t.Fatalf("--user without --daemon: exit %d %s", code, errOut)
	}
}

// TestLaunchd_RefusedOffMac: on Linux the verb points to systemd.
func TestLaunchd_RefusedOffMac(t *testing.T) {
	e := newTestEnv(t, "")
	_, errOut, code := e.run("", "launchd", "--os", "linux")
	if code != ExitUsage || !strings.Contains(errOut, "veloslet systemd") {
		t.Fatalf("launchd --os linux: exit %d, %q; want %d pointing to veloslet systemd", code, errOut, ExitUsage)
	}
}
