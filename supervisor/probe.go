package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/veloslet/veloslet/internal/redact"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// ProbeResult is one probe's outcome.
type ProbeResult struct {
	At       time.Time
	Duration time.Duration
	OK       bool
	// Output is what the probe said, redacted and bounded: an exec's last
	// output, an HTTP status, a connect's error.
	Output string
	// Gone: the container was not there or not running; no verdict on its
	// health (its exit is the planner's).
	Gone bool
}

// probeOnce runs hc against uid's instance under hc's timeout. http and
// tcp run in this process (one request, one connect); cmd is a runtime
// exec. env redacts the output.
func probeOnce(ctx context.Context, rt runtime.Runtime, hc spec.HealthCheck, uid string, env map[string]string) ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(hc.Timeout))
	defer cancel()
	start := time.Now()
	var r ProbeResult
	switch hc.Kind() {
	case "cmd":
		r = probeExec(ctx, rt, uid, hc.Cmd)
	case "http":
		r = probeHTTP(ctx, hc.HTTP)
	default:
		r = probeTCP(ctx, hc.TCP)
	}
	r.Duration = time.Since(start)
	r.Output = redact.Env(r.Output, env)
	return r
}

func probeExec(ctx context.Context, rt runtime.Runtime, uid string, cmd []string) ProbeResult {
	ex, ok := rt.(runtime.Execer)
	if !ok {
		return ProbeResult{Output: "the runtime cannot exec: health.cmd is not supported"}
	}
	out := &tailWriter{max: runtime.ExecOutputMax}
	code, err := ex.Exec(ctx, uid, cmd, out)
	switch {
	case errors.Is(err, runtime.ErrNotFound) || errors.Is(err, runtime.ErrNotRunning):
		return ProbeResult{Gone: true, Output: err.Error()}
	case ctx.Err() != nil:
		return ProbeResult{Output: strings.TrimSpace(lastLines(out.String()) + " (no answer within the timeout)")}
	case err != nil:
		return ProbeResult{Output: err.Error()}
	}
	text := lastLines(out.String())
	if code != 0 {
		return ProbeResult{Output: strings.TrimSpace(fmt.Sprintf("exit %d: %s", code, text))}
	}
	return ProbeResult{OK: true, Output: text}
}

// probeClient makes every http probe's request: no keep-alive (a probe
// every few seconds must not hold a connection per uid), redirects not
// followed (a 3xx is healthy as it is).
var probeClient = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func probeHTTP(ctx context.Context, url string) ProbeResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ProbeResult{Output: err.Error()}
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return ProbeResult{Output: err.Error()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 400
	return ProbeResult{OK: ok, Output: "HTTP " + resp.Status}
}

func probeTCP(ctx context.Context, addr string) ProbeResult {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return ProbeResult{Output: err.Error()}
	}
	_ = c.Close()
	return ProbeResult{OK: true, Output: "connected to " + addr}
}

// lastLines keeps the end of an exec's output, on one line.
func lastLines(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	return s
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if extra := len(w.buf) - w.max; extra > 0 {
		w.buf = append(w.buf[:0], w.buf[extra:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
