package compose

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// TestHealthAndDeps_Mapped: a healthcheck becomes the spec's health
// (CMD as it is, CMD-SHELL under /bin/sh -c, the timings and retries),
// depends_on the project's uids with started / healthy;
// service_completed_successfully is refused naming the dependency; a
// disabled healthcheck is only noted.
func TestHealthAndDeps_Mapped(t *testing.T) {
	d := func(s string) *types.Duration { v, _ := time.ParseDuration(s); x := types.Duration(v); return &x }
	retries := uint64(3)
	c := types.ServiceConfig{Name: "web"}
	c.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD-SHELL", "wget -q -O- http://localhost:8080/"},
		Interval: d("5s"), Timeout: d("2s"), Retries: &retries, StartPeriod: d("10s")}
	c.DependsOn = types.DependsOnConfig{"db": {Condition: "service_healthy", Required: true},
		"cache": {Condition: "service_started", Required: true, Restart: true}}
	svc := &Service{Name: "web"}
	svc.Spec.UID = "shop-web"
	if err := healthAndDeps(svc, c); err != nil {
		t.Fatal(err)
	}
	h := svc.Spec.Health
	if h == nil || !slices.Equal(h.Cmd, []string{"/bin/sh", "-c", "wget -q -O- http://localhost:8080/"}) ||
		h.Interval != spec.Duration(5*time.Second) || h.Timeout != spec.Duration(2*time.Second) || h.Retries != 3 ||
		h.StartPeriod != spec.Duration(10*time.Second) {
		t.Errorf("health = %+v", h)
	}
	if !maps.Equal(svc.Spec.DependsOn, spec.DependsOn{"shop-db": {Condition: "healthy"}, "shop-cache": {Condition: "started", Restart: true}}) {
		t.Errorf("depends_on = %v", svc.Spec.DependsOn)
	}
	if len(svc.Notes) != 0 {
		t.Errorf("notes = %v", svc.Notes)
	}

	c.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "/bin/check", "--quick"}}
	c.DependsOn = types.DependsOnConfig{"migrate": {Condition: "service_completed_successfully", Required: true}}
	svc = &Service{Name: "web"}
	svc.Spec.UID = "shop-web"
	err := healthAndDeps(svc, c)
	var r *Refusal
	if !errors.As(err, &r) || r.Key != "depends_on.migrate.condition" || !strings.Contains(r.Reason, "service_completed_successfully") {
		t.Errorf("completed_successfully: %v", err)
	}
	if svc.Spec.Health == nil || !slices.Equal(svc.Spec.Health.Cmd, []string{"/bin/check", "--quick"}) {
		t.Errorf("CMD: %+v", svc.Spec.Health)
	}

	c.HealthCheck = &types.HealthCheckConfig{Disable: true}
	c.DependsOn = nil
	svc = &Service{Name: "web"}
	if err := healthAndDeps(svc, c); err != nil || len(svc.Notes) != 1 || svc.Spec.Health != nil {
		t.Errorf("disabled health: %v %v %+v", err, svc.Notes, svc.Spec.Health)
	}
}
