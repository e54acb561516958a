package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

// TestConfig_HealthMaxAge: [http] health_max_age sets /healthz's threshold;
// 0 derives it from the schedule (three intervals, at least a minute, at
// least three resync intervals); a negative one is refused by name.
func TestConfig_HealthMaxAge(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, toml string
		resync     time.Duration
		want       time.Duration
	}{
		{"Default", "", 0, time.Minute}, // the default schedule is @every 10s: 30s, raised to 1m
		{"DerivedFromSchedule", "[reconcile]\nschedule = \"@every 5m\"\n", 0, 15 * time.Minute},
		{"AtLeastAMinute", "[reconcile]\nschedule = \"@every 5s\"\n", 0, time.Minute},
		{"AtLeastThreeResyncs", "", 10 * time.Minute, 30 * time.Minute},
		{"Set", "[http]\nhealth_max_age = \"45s\"\n", 10 * time.Minute, 45 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(strings.NewReader(tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.HealthMaxAge(cfg.Reconcile.Schedule, tc.resync, now)
			if err != nil || got != tc.want {
				t.Fatalf("HealthMaxAge=%v, %v; want %v", got, err, tc.want)
			}
		})
	}
	_, err := ParseConfig(strings.NewReader("[http]\nhealth_max_age = \"-1s\"\n"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "http.health_max_age") {
		t.Fatalf("a negative health_max_age: %v, want an error naming http.health_max_age", err)
	}
}

// TestServe_HealthMaxAge: with health_max_age = "2s" and every pass
// failing, /healthz turns 503 naming the threshold.
func TestServe_HealthMaxAge(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1s\"\n[http]\nlisten = \"127.0.0.1:0\"\nhealth_max_age = \"2s\"\n")
	e.mustRun(clitest.SpecsJSON(1)+"\n", "apply", "-f", "-")
	d := e.Serve()
	addr := listenAddr(t, d)
	e.WaitRunning(1)
	health := func() (int, string, error) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0, "", err
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), nil
	}
	e.mustRun("", "fake", "faults", "--rate", "1")
	clitest.Poll(t, func() error {
		code, body, err := health()
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "more than 2s") {
			return fmt.Errorf("/healthz: %d %q", code, body)
		}
		return nil
	})
}
