package compose

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// TestHealthAndDeps_IntermediateForm: healthcheck and depends_on are read
// into the importer's own form (what the spec's health and start order
// will be mapped from), then refused while the spec has no such fields;
// a disabled healthcheck is only noted.
func TestHealthAndDeps_IntermediateForm(t *testing.T) {
	d := func(s string) *types.Duration { v, _ := time.ParseDuration(s); x := types.Duration(v); return &x }
	retries := uint64(3)
	c := types.ServiceConfig{Name: "web"}
	c.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD-SHELL", "wget -q -O- http://localhost:8080/"},
		Interval: d("5s"), Timeout: d("2s"), Retries: &retries, StartPeriod: d("10s")}
	c.DependsOn = types.DependsOnConfig{"db": {Condition: "service_healthy", Required: true},
		"migrate": {Condition: "service_completed_successfully", Required: true}}
	svc := &Service{Name: "web"}
	err := healthAndDeps(svc, c)
	var r *Refusal
	if !errors.As(err, &r) || r.Key != "healthcheck" || !strings.Contains(r.Reason, "not supported yet") {
		t.Fatalf("err = %v", err)
	}
	h := svc.Health
	if h == nil || !h.Shell || !slices.Equal(h.Test, []string{"wget -q -O- http://localhost:8080/"}) ||
		h.Interval != 5*time.Second || h.Timeout != 2*time.Second || h.Retries != 3 || h.StartPeriod != 10*time.Second {
		t.Errorf("health = %+v", h)
	}
	if svc.DependsOn["db"].Condition != "service_healthy" || svc.DependsOn["migrate"].Condition != "service_completed_successfully" {
		t.Errorf("depends_on = %+v", svc.DependsOn)
	}

	c.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "/bin/check", "--quick"}}
	svc = &Service{Name: "web"}
	err = healthAndDeps(svc, c)
	if !errors.As(err, &r) || r.Key != "healthcheck" || svc.Health.Shell || !slices.Equal(svc.Health.Test, []string{"/bin/check", "--quick"}) {
		t.Errorf("CMD: %v %+v", err, svc.Health)
	}

	c.HealthCheck = &types.HealthCheckConfig{Disable: true}
	svc = &Service{Name: "web"}
	err = healthAndDeps(svc, c)
	if !errors.As(err, &r) || r.Key != "depends_on" || !strings.Contains(r.Reason, "db, migrate") || svc.Health != nil {
		t.Errorf("disabled health, with depends_on: %v %+v", err, svc.Health)
	}
	c.DependsOn = nil
	svc = &Service{Name: "web"}
	if err := healthAndDeps(svc, c); err != nil || len(svc.Notes) != 1 {
		t.Errorf("disabled health alone: %v %v", err, svc.Notes)
	}
}
