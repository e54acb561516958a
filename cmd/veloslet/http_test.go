package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

var addrPattern = regexp.MustCompile(`msg="serving metrics and health".* addr=(\S+)`)

// listenAddr waits for the HTTP listener's address in serve's log.
func listenAddr(t *testing.T, d *clitest.Daemon) string {
	t.Helper()
	var addr string
	clitest.Poll(t, func() error {
		m := addrPattern.FindStringSubmatch(d.Stderr.String())
		if m == nil {
			return fmt.Errorf("no listen address in the log yet")
		}
		addr = m[1]
		return nil
	})
	return addr
}

func TestServe_MetricsAndHealth(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 1s\"\n[http]\nlisten = \"127.0.0.1:0\"\n")
	e.mustRun(clitest.SpecsJSON(3)+"\n", "apply", "-f", "-")
	d := e.Serve()
	addr := listenAddr(t, d)
	e.WaitRunning(3)
	e.mustRun("", "fake", "exit", "s001", "--code", "2")
	var families map[string]int
	clitest.Poll(t, func() error {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mf, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
		if err != nil {
			return fmt.Errorf("not the Prometheus text format: %v", err)
		}
		families = map[string]int{}
		for name, f := range mf {
			families[name] = len(f.GetMetric())
		}
		if families["veloslet_restarts_total"] == 0 || !strings.Contains(string(body), "veloslet_restarts_total 1") {
			return fmt.Errorf("no restart counted yet")
		}
		// Read from the records: the relaunched instance counts as running.
		if !strings.Contains(string(body), `veloslet_instances{state="running"} 3`) {
			return fmt.Errorf("veloslet_instances does not show 3 running yet")
		}
		return nil
	})
	for _, name := range []string{"veloslet_passes_total", "veloslet_pass_duration_seconds", "veloslet_actions_total",
		"veloslet_instances", "veloslet_restarts_total", "veloslet_foreign_instances", "veloslet_brake_holds_total",
		"veloslet_last_successful_pass_timestamp_seconds", "veloslet_build_info",
		"veloslet_crash_looping_instances", "veloslet_backing_off_instances"} {
		if families[name] == 0 {
			t.Errorf("metric %s missing", name)
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, body)
	}
}
