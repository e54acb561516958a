package spec_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
)

func TestHealthCheck_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hc    spec.HealthCheck
		field string // "" when valid
	}{
		{"Cmd", spec.HealthCheck{Cmd: []string{"pg_isready", "-U", "app"}}, ""},
		{"HTTP", spec.HealthCheck{HTTP: "http://127.0.0.1:8080/healthz", OnFailure: spec.HealthRecreate}, ""},
		{"TCP", spec.HealthCheck{TCP: "127.0.0.1:5432", OnFailure: spec.HealthNone}, ""},
		{"None", spec.HealthCheck{}, "health.cmd"},
		{"Two", spec.HealthCheck{Cmd: []string{"true"}, TCP: "127.0.0.1:1"}, "health.cmd"},
		{"EmptyProgram", spec.HealthCheck{Cmd: []string{""}}, "health.cmd"},
		{"BadURL", spec.HealthCheck{HTTP: "127.0.0.1:8080/healthz"}, "health.http"},
		{"BadTCP", spec.HealthCheck{TCP: "localhost"}, "health.tcp"},
		{"TinyInterval", spec.HealthCheck{TCP: "h:1", Interval: spec.Duration(time.Millisecond)}, "health.interval"},
		{"NegativeRetries", spec.HealthCheck{TCP: "h:1", Retries: -1}, "health.retries"},
		{"BadAction", spec.HealthCheck{TCP: "h:1", OnFailure: "reboot"}, "health.on_failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.hc.Validate()
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("valid check refused: %v", err)
			case tc.field != "" && (err == nil || !errors.Is(err, spec.ErrInvalid) || !strings.HasPrefix(err.Error(), tc.field)):
				t.Fatalf("error %v, want one about %s wrapping ErrInvalid", err, tc.field)
			}
		})
	}
	d := spec.HealthCheck{TCP: "h:1"}.WithDefaults()
	if d.Retries != spec.DefaultHealthRetries || time.Duration(d.Interval) != spec.DefaultHealthInterval || d.OnFailure != spec.HealthRestart {
		t.Fatalf("defaults: %+v", d)
	}
}
