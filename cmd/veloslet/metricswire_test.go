package main

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veloslet/veloslet/supervisor"
)

// TestObserveBackups: serve's scheduled backup job reports each attempt to
// the backup gauges; other jobs do not.
func TestObserveBackups(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := supervisor.NewMetrics(reg)
	fail := errors.New("disk full")
	jobs := []supervisor.Job{
		{Name: "retention", Run: func(context.Context) error { return nil }},
		{Name: "backup", Run: func(context.Context) error { return fail }},
	}
	observeBackups(jobs, m)
	success := func() (float64, bool) {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == "veloslet_last_backup_success" {
				return f.GetMetric()[0].GetGauge().GetValue(), true
			}
		}
		return 0, false
	}
	if err := jobs[0].Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := success(); ok {
		t.Fatal("the retention job reported a backup")
	}
	if err := jobs[1].Run(context.Background()); !errors.Is(err, fail) {
		t.Fatalf("the wrapped backup job returned %v, want its own error", err)
	}
	if v, ok := success(); !ok || v != 0 {
		t.Fatalf("veloslet_last_backup_success=%v (present %v) after a failed backup, want 0", v, ok)
	}
}
