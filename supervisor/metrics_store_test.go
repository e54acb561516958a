package supervisor_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// gauge returns the value of the named gauge (with the label state, if
// given) from reg, and whether it is there.
func gauge(t *testing.T, reg *prometheus.Registry, name, state string) (float64, bool) {
	t.Helper()
	m := series(t, reg, name, func(l *dto.LabelPair) bool { return state == "" || l.GetName() != "state" || l.GetValue() == state })
	return m.GetGauge().GetValue(), m != nil
}

// series is the first series of name all of whose labels match, or nil.
func series(t *testing.T, reg *prometheus.Registry, name string, match func(*dto.LabelPair) bool) *dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return !match(l) }) {
				return m
			}
		}
	}
	return nil
}

// TestMetrics_InstanceGaugesFollowOutcomes: veloslet_instances shows the
// records as the pass left them (3 running after the pass that launched
// them, not the 0 it saw before acting), and an exit recorded by a
// targeted pass shows at once; the crash-loop and back-off gauges follow.
func TestMetrics_InstanceGaugesFollowOutcomes(t *testing.T) {
	ctx := context.Background()
	s, rt, clock := MustNewSupervisor(t)
	reg := prometheus.NewRegistry()
	m := supervisor.NewMetrics(reg)
	m.WatchStore(reg, s.DB)
	storetest.MustApply(t, s.DB, specs(3)...)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := gauge(t, reg, "veloslet_instances", "running"); v != 3 {
		t.Fatalf("running=%v after the launching pass, want 3", v)
	}
	uid := specs(1)[0].UID
	// It dies at once after each relaunch: the second death in a row
	// backs off, and at crash_loop_after = 2 it crash-loops.
	if err := s.DB.SetMeta(ctx, "crash_loop_after", "2"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := rt.SetExited(uid, 2); err != nil {
			t.Fatalf("exit %d: %v", i, err)
		}
		clock.Add(time.Second)
		if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerEvent, UIDs: []string{uid}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, state string
		want        float64
	}{
		{"veloslet_instances", "running", 2}, {"veloslet_instances", "exited", 1}, {"veloslet_instances", "gave_up", 0},
		{"veloslet_backing_off_instances", "", 1}, {"veloslet_crash_looping_instances", "", 1},
	} {
		if v, ok := gauge(t, reg, c.name, c.state); !ok || v != c.want {
			t.Errorf("%s{%s}=%v (present %v), want %v", c.name, c.state, v, ok, c.want)
		}
	}
}

// TestMetrics_Backup: the backup gauges appear with the first scheduled
// backup and say whether the last one succeeded.
func TestMetrics_Backup(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := supervisor.NewMetrics(reg)
	if _, ok := gauge(t, reg, "veloslet_last_backup_success", ""); ok {
		t.Fatal("backup gauges before any backup")
	}
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	m.ObserveBackup(at, nil)
	if v, _ := gauge(t, reg, "veloslet_last_backup_timestamp_seconds", ""); v != float64(at.Unix()) {
		t.Fatalf("timestamp=%v, want %d", v, at.Unix())
	}
	m.ObserveBackup(at.Add(time.Hour), errors.New("disk full"))
	ok, _ := gauge(t, reg, "veloslet_last_backup_success", "")
	ts, _ := gauge(t, reg, "veloslet_last_backup_timestamp_seconds", "")
	if ok != 0 || ts != float64(at.Unix()) {
		t.Fatalf("after a failure: success=%v timestamp=%v, want 0 and the last success's time", ok, ts)
	}
}

// TestMetrics_StateReads: veloslet_state_reads_total counts a pass that
// finds nothing written since the last read as cached, and one after a
// write as full.
func TestMetrics_StateReads(t *testing.T) {
	ctx := context.Background()
	s, _, _ := MustNewSupervisor(t)
	reg := prometheus.NewRegistry()
	m := supervisor.NewMetrics(reg)
	m.WatchStore(reg, s.DB)
	storetest.MustApply(t, s.DB, specs(2)...)
	for range 2 {
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reads := func() (cached, full float64) {
		return counter(t, reg, "veloslet_state_reads_total", "read", "cached"),
			counter(t, reg, "veloslet_state_reads_total", "read", "full")
	}
	cached, full := reads()
	if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
		t.Fatal(err)
	}
	if c, f := reads(); c != cached+1 || f != full {
		t.Fatalf("an idle pass: cached %v→%v, full %v→%v; want one more cached read only", cached, c, full, f)
	}
	storetest.MustApply(t, s.DB, specs(3)...)
	if _, err := s.Pass(ctx, supervisor.PassOptions{Trigger: store.TriggerSchedule}); err != nil {
		t.Fatal(err)
	}
	if _, f := reads(); f != full+1 {
		t.Fatalf("a pass after an apply: full %v→%v, want one more", full, f)
	}
}

// counter is the value of the counter name whose label has value.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	m := series(t, reg, name, func(l *dto.LabelPair) bool { return l.GetName() != label || l.GetValue() == value })
	if m == nil {
		t.Fatalf("no %s{%s=%q}", name, label, value)
	}
	return m.GetCounter().GetValue()
}
