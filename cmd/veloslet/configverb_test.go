package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestConfigVerb: config prints the effective configuration as TOML that
// reads back to the same settings, and the paths it uses.
func TestConfigVerb(t *testing.T) {
	e := newTestEnv(t, "concurrency = 7\n")
	out := e.mustRun("", "config")
	for _, want := range []string{"# config file: " + e.Config, "# database:    " + e.DB, "# lock:        ", "# backups:     "} {
		if !strings.Contains(out, want) {
			t.Fatalf("config lacks %q:\n%s", want, out)
		}
	}
	back, err := ParseConfig(strings.NewReader(out))
	if err != nil {
		t.Fatalf("config output does not read back: %v\n%s", err, out)
	}
	want, err := ReadConfigFile(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, want) || back.Reconcile.Concurrency != 7 {
		t.Fatalf("config read back as %+v, want %+v", back, want)
	}
	var js struct {
		Config struct {
			Reconcile struct {
				Concurrency int    `json:"concurrency"`
				Schedule    string `json:"schedule"`
			} `json:"reconcile"`
		} `json:"config"`
		Paths configPaths `json:"paths"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "config", "--json")), &js); err != nil || js.Paths.Database != e.DB ||
		js.Config.Reconcile.Concurrency != 7 || js.Config.Reconcile.Schedule != "@every 10s" {
		t.Fatalf("config --json: %v, %+v", err, js)
	}
}
