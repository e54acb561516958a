package runtimetest

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
)

// httpdScript serves "hello" on port 8080.
const httpdScript = `busybox mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www`

// testPorts: a published port answers HTTP from the host; after the
// container is replaced with another host port, the new one answers and
// the old one no longer does.
func testPorts(t *testing.T, h *Harness) {
	f, _ := h.needFields(t)
	if f.Network == "" {
		t.Skip("no network that publishes ports")
	}
	ctx := ctxFor(t)
	p1, p2 := FreePort(t), FreePort(t)
	s := h.Spec("p1")
	s.Command = []string{"sh", "-c", httpdScript}
	s.Network = f.Network
	s.Ports = []spec.Port{{HostIP: "127.0.0.1", HostPort: p1, ContainerPort: 8080, Proto: "tcp"}}
	t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), "p1") })
	if _, err := h.Runtime.Run(ctx, s); err != nil {
		t.Fatalf("run: %v", err)
	}
	h.WaitHTTP(t, p1, "hello\n")
	if err := h.Runtime.Remove(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	s.Ports[0].HostPort = p2
	s.Generation++
	if _, err := h.Runtime.Run(ctx, s); err != nil {
		t.Fatalf("run on the new port: %v", err)
	}
	h.WaitHTTP(t, p2, "hello\n")
	if body, err := Get(p1); err == nil {
		t.Fatalf("old port %d still answers %q after the replacement", p1, body)
	}
}

// WaitHTTP polls GET http://127.0.0.1:port/ until it answers 200 with want.
func (h *Harness) WaitHTTP(t *testing.T, port uint16, want string) {
	t.Helper()
	deadline := time.Now().Add(max(h.Settle, 10*time.Second))
	for {
		body, err := Get(port)
		if err == nil && body == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET on port %d: %q, %v; want %q", port, body, err, want)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// Get returns the body of GET http://127.0.0.1:port/; an error for any
// status but 200.
func Get(port uint16) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(int(port)) + "/")
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return string(b), &statusError{resp.StatusCode}
	}
	return string(b), err
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "HTTP status " + strconv.Itoa(e.code) }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// drawn at random below the kernel's ephemeral range: a port from that
// range (what listening on port 0 gives) may be handed at once to another
// listener or to an outgoing connection's local end, and the runtime's
// bind of it then fails with "address already in use", as it did with two
// test runs side by side.
func FreePort(t *testing.T) uint16 {
	t.Helper()
	low := ephemeralLow()
	for range 100 {
		p := uint16(10000 + rand.IntN(low-10000))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p))))
		if err == nil {
			_ = l.Close()
			return p
		}
	}
	t.Fatalf("no free port below %d in 100 draws", low)
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default where it cannot be read, as on a Mac, whose range starts higher).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 10100 {
		return 32768
	}
	return n
}
