package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestServe_HTTPFlood holds a few thousand idle connections to the health
// server of a daemon limited to 1024 file descriptors, as one local process
// once did: passes keep succeeding (a crashed instance is relaunched), the
// daemon's descriptors stay bounded, and /healthz answers.
func TestServe_HTTPFlood(t *testing.T) {
	t.Parallel()
	prlimit := storetest.NeedTool(t, "prlimit")
	e := newTestEnv(t, "schedule = \"@every 1s\"\n[http]\nlisten = \"127.0.0.1:0\"\n")
	e.mustRun(clitest.SpecsJSON(3)+"\n", "apply", "-f", "-")
	serve := e.Command("serve")
	cmd := exec.Command(prlimit, append([]string{"--nofile=1024:1024", serve.Path}, serve.Args[1:]...)...)
	cmd.Env = serve.Env
	d := clitest.Start(t, cmd)
	addr := listenAddr(t, d)
	e.WaitRunning(3)

	const flood = 3000
	conns := make([]net.Conn, 0, flood)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range flood {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	start := time.Now()
	fds := func() int {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", d.Cmd.Process.Pid))
		return len(ents)
	}
	peak := fds()

	// A pass still works: a crashed instance comes back.
	e.mustRun("", "fake", "exit", "s001", "--code", "2")
	e.WaitRunning(3)
	relaunched := time.Since(start)

	var healthy time.Duration
	clitest.Poll(t, func() error {
		peak = max(peak, fds())
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get("http://" + addr + "/healthz")
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz %d: %s", resp.StatusCode, body)
		}
		healthy = time.Since(start)
		return nil
	})
	if peak > 200 {
		t.Errorf("the daemon held %d descriptors under the flood, want the connection cap to bound them", peak)
	}
	if log := d.Stderr.String(); strings.Contains(log, "too many open files") {
		t.Errorf("the daemon ran out of descriptors:\n%s", log)
	}
	t.Logf("%d idle connections held: daemon peak %d fds; crashed instance relaunched after %s; /healthz ok after %s",
		flood, peak, relaunched.Round(time.Millisecond), healthy.Round(time.Millisecond))
}
