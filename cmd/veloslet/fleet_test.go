package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

// startNATS starts an embedded JetStream server for one test.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

func healthz(addr string) (string, error) {
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestFleet_ServeAndVerbs: serve mirrors what `fleet apply` writes, refuses
// a local change to it, reports back to `fleet status` and `fleet events`,
// and says when the fleet is gone while it keeps supervising.
func TestFleet_ServeAndVerbs(t *testing.T) {
	ns := startNATS(t)
	e := newTestEnv(t, fmt.Sprintf("schedule = \"@every 1s\"\n[http]\nlisten = \"127.0.0.1:0\"\n[fleet]\nurl = %q\nnode = \"mini-1\"\n", ns.ClientURL()))
	d := e.Serve()
	addr := listenAddr(t, d)

	out := e.mustRun(`{"uid": "web", "image": "busybox"}`+"\n", "fleet", "apply", "--node", "mini-1", "-f", "-")
	if !strings.Contains(out, "mini-1.web written (revision 1)") {
		t.Fatalf("fleet apply printed %q", out)
	}
	e.WaitRunning(1)
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "status")
		if !strings.Contains(out, "fleet: connected since") {
			return fmt.Errorf("status printed %q", out)
		}
		return nil
	})
	if out := e.mustRun(`{"uid": "web", "image": "busybox"}`, "fleet", "apply", "--node", "mini-1", "-f", "-"); !strings.Contains(out, "unchanged") {
		t.Errorf("a second fleet apply printed %q", out)
	}
	_, errOut, code := e.run(`{"uid": "web", "image": "busybox:1.37"}`, "apply", "-f", "-")
	if code != ExitUsage || !strings.Contains(errOut, "owned by the fleet (key mini-1.web") {
		t.Fatalf("local apply: exit %d, %q", code, errOut)
	}

	// A value as a spec file may write it (memory "512M") is read by apply's decoder.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), "veloslet_specs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(context.Background(), "mini-1.api", `{"uid": "api", "image": "busybox", "memory": "512M"}`); err != nil {
		t.Fatal(err)
	}
	e.WaitRunning(2)
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "fleet", "status", "--node", "mini-1")
		if !strings.Contains(out, "running") || !strings.Contains(out, "api") || !strings.Contains(out, "node mini-1: last report") {
			return fmt.Errorf("fleet status printed %q", out)
		}
		out, _, _ = e.run("", "fleet", "events", "--node", "mini-1")
		if !strings.Contains(out, "mini-1  api  launched") {
			return fmt.Errorf("fleet events printed %q", out)
		}
		return nil
	})
	if out := e.mustRun("", "fleet", "delete", "--node", "mini-1", "api"); out != "mini-1.api deleted\n" {
		t.Errorf("fleet delete printed %q", out)
	}
	e.WaitRunning(1)

	ns.Shutdown()
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "status")
		body, err := healthz(addr)
		if err != nil {
			return err
		}
		desc, _, _ := e.run("", "describe", "web")
		if !strings.Contains(out, "fleet: disconnected since") || !strings.Contains(body, "fleet: disconnected since") ||
			!strings.Contains(desc, "fleet: disconnected since") {
			return fmt.Errorf("status printed %q, /healthz %q, describe %q", out, body, desc)
		}
		return nil
	})
	if _, errOut, code := e.run("", "fleet", "status"); code == 0 || !strings.Contains(errOut, "fleet: connect") {
		t.Errorf("fleet status with no server: exit %d, %q", code, errOut)
	}
}

func httpGet(addr, path string) (string, error) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestFleet_HoldAndResync: serve keeps every spec and instance when the
// specs bucket is deleted and says why in `status`, /healthz and the
// veloslet_fleet_held gauge; `fleet resync` without --confirm previews,
// with it the node runs what the bucket holds.
func TestFleet_HoldAndResync(t *testing.T) {
	t.Parallel()
	ns := startNATS(t)
	e := newTestEnv(t, fmt.Sprintf("schedule = \"@every 1s\"\n[http]\nlisten = \"127.0.0.1:0\"\n[fleet]\nurl = %q\nnode = \"mini-1\"\n", ns.ClientURL()))
	d := e.Serve()
	addr := listenAddr(t, d)
	specs := `[{"uid": "web", "image": "busybox"}, {"uid": "api", "image": "busybox"},
		{"uid": "db", "image": "busybox"}, {"uid": "cache", "image": "busybox"}]`
	e.mustRun(specs, "fleet", "apply", "--node", "mini-1", "-f", "-")
	e.WaitRunning(4)

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := js.DeleteKeyValue(context.Background(), "veloslet_specs"); err != nil {
		t.Fatal(err)
	}
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "status")
		body, err := healthz(addr)
		if err != nil {
			return err
		}
		metrics, err := httpGet(addr, "/metrics")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "fleet: HELD since") || !strings.Contains(out, "veloslet_specs is missing") ||
			!strings.Contains(body, "fleet: HELD since") || !strings.Contains(metrics, "veloslet_fleet_held 1") {
			return fmt.Errorf("status printed %q, /healthz %q", out, body)
		}
		return nil
	})
	e.WaitRunning(4)

	// The preview makes the bucket anew (an operator's verb may): the node
	// holds on, now for a bucket that is not the one it mirrored.
	out, _, code := e.run("", "fleet", "resync", "--node", "mini-1")
	if code != ExitUsage || !strings.Contains(out, "holds 0 keys for mini-1") {
		t.Fatalf("resync without --confirm: exit %d, %q", code, out)
	}
	e.mustRun(`[{"uid": "web", "image": "busybox"}, {"uid": "api", "image": "busybox"}]`, "fleet", "apply", "--node", "mini-1", "-f", "-")
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "fleet", "resync", "--node", "mini-1")
		if !strings.Contains(out, "is not the one mirrored") || !strings.Contains(out, "holds 2 keys") {
			return fmt.Errorf("resync preview printed %q", out)
		}
		return nil
	})
	e.WaitRunning(4)
	if out := e.mustRun("", "fleet", "resync", "--node", "mini-1", "--confirm"); !strings.Contains(out, "confirmed: key mini-1") {
		t.Fatalf("resync --confirm printed %q", out)
	}
	e.WaitRunning(2)
	clitest.Poll(t, func() error {
		out, _, _ := e.run("", "status")
		metrics, err := httpGet(addr, "/metrics")
		if err != nil {
			return err
		}
		if strings.Contains(out, "HELD") || !strings.Contains(metrics, "veloslet_fleet_held 0") {
			return fmt.Errorf("status printed %q after the resync", out)
		}
		return nil
	})
	if out := e.mustRun("", "fleet", "delete", "--node", "mini-1", "--invalid-keys"); out != "no invalid key of mini-1\n" {
		t.Errorf("fleet delete --invalid-keys printed %q", out)
	}
}
