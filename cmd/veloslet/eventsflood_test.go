package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
)

// eventsMemoryBound is the peak resident set serve must stay under whatever
// a Docker API server sends on /events (issue 30's "Done when").
const eventsMemoryBound = 100 << 20

// floodServer is a hostile Docker Engine API server on a unix socket: it
// answers the calls serve makes at start as an empty host would, and sends
// an endless /events answer, counting the bytes each connection got out.
type floodServer struct {
	host  string
	sent  atomic.Int64 // /events bytes, every connection
	conns atomic.Int64 // /events connections
	most  atomic.Int64 // the most bytes one /events connection got out
	stop  chan struct{}
}

// startFloodServer serves /events as body(0), body(1), … until serve goes
// away, the test ends, or ceiling bytes went out in all.
func startFloodServer(t *testing.T, body func(i int) []byte, ceiling int64) *floodServer {
	t.Helper()
	// A short path: a unix socket's path has room for about 100 bytes.
	dir, err := os.MkdirTemp("", "vef")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := &floodServer{host: "unix://" + sock, stop: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			_, _ = io.WriteString(w, "OK")
		case strings.HasSuffix(p, "/version"):
			_, _ = io.WriteString(w, `{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"}`)
		case strings.HasSuffix(p, "/info"):
			_, _ = io.WriteString(w, `{"LoggingDriver":"json-file"}`)
		case strings.HasSuffix(p, "/containers/json"):
			_, _ = io.WriteString(w, "[]")
		case strings.HasSuffix(p, "/events"):
			s.conns.Add(1)
			s.flood(w, r, body, ceiling)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"no such thing here"}`)
		}
	}))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(s.stop) }) // before srv.Close, which waits for the handlers
	return s
}

func (s *floodServer) flood(w http.ResponseWriter, r *http.Request, body func(i int) []byte, ceiling int64) {
	var mine int64
	defer func() {
		for m := s.most.Load(); mine > m && !s.most.CompareAndSwap(m, mine); m = s.most.Load() {
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		default:
		}
		if s.sent.Load() >= ceiling {
			return
		}
		n, err := w.Write(body(i))
		mine += int64(n)
		s.sent.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// floodEnv is a testEnv whose serve uses the docker backend on s, with its
// health server on a free port.
func floodEnv(t *testing.T, s *floodServer) *testEnv {
	e := newTestEnv(t, "")
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "docker"
[runtime.docker]
host = %q
[reconcile]
schedule = "@every 1h"
watch_interval = "100ms"
[http]
listen = "127.0.0.1:0"
`, e.DB, s.host)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestServe_EndlessEvents points a plain-built serve at an API server whose
// /events answer never ends, in six ways: one value that never closes on
// one line, the same across short lines, blank lines forever, valid events
// of 512 KiB each, deaths of containers named ours with 64 KiB uids each
// new, and deaths of ever new uids a spec may have. serve's peak resident
// set (VmHWM) stays under 100 MB throughout: the first three are cut at the
// stream's value limit (1 MiB, runtime/docker's MaxStreamValue) and the cut
// is logged, each time the stream is opened again; the others are read as
// they come until 256, 128 and 32 MiB went through (the uids too long for a
// spec are dropped; past supervisor.MaxPendingUIDs pending uids a full pass
// is asked for instead). serve stays up and /healthz answers. The three
// read through (some 20 s of CPU) are TestSoak_ServeEndlessEvents.
func TestServe_EndlessEvents(t *testing.T) { endlessEvents(t, true) }

// TestSoak_ServeEndlessEvents is TestServe_EndlessEvents's bodies read
// through: 256 MiB of huge events, 128 MiB of deaths of 64 KiB uids, 32 MiB
// of deaths of new short uids.
func TestSoak_ServeEndlessEvents(t *testing.T) { endlessEvents(t, false) }

func endlessEvents(t *testing.T, cut bool) {
	t.Parallel()
	if goruntime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc/<pid>/status, which only Linux has")
	}
	clitest.PlainBin(t) // built once, before the parallel cases start
	const valueHead = `{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"velos-a"`
	huge := `{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"web","x":"` +
		strings.Repeat("b", 512<<10) + `"}},"time":1}` + "\n"
	var seq atomic.Int64 // our-deaths' uids, distinct across connections
	for _, c := range []struct {
		name string
		body func(i int) []byte
		cut  bool  // serve must refuse this body; else read it through
		read int64 // how much of a body read through must go through:
		// several times what an unbounded reader takes past the bound
		// (50 MiB of the 64 KiB uids did, before they were refused)
	}{
		{"value-one-line", repeat(valueHead+`,"x":"`, strings.Repeat("a", 64<<10)), true, 0},
		{"value-many-lines", repeat(valueHead, strings.Repeat(`,`+"\n"+`"k":"v"`, 8<<10)), true, 0},
		{"blank-lines", repeat("", strings.Repeat("\n", 64<<10)), true, 0},
		{"huge-events", repeat("", huge), false, 256 << 20},
		// Deaths of containers of ours (by the name prefix), each of a uid
		// never seen before and 64 KiB long.
		{"our-deaths", func(int) []byte {
			return fmt.Appendf(nil, `{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"velos-%d%s","exitCode":"1"}},"time":1}`+"\n",
				seq.Add(1), strings.Repeat("u", 64<<10))
		}, false, 128 << 20},
		// The same with uids a spec may have: distinct, short.
		{"many-deaths", func(int) []byte {
			return fmt.Appendf(nil, `{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"velos-d%09d","exitCode":"1"}},"time":1}`+"\n",
				seq.Add(1))
		}, false, 32 << 20},
	} {
		if c.cut != cut {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// What the server sends at most: for a body read through, what
			// must go through; for one to be cut, a stop that an unbounded
			// reader would not reach before passing the bound.
			ceiling := c.read
			if c.cut {
				ceiling = 512 << 20
			}
			s := startFloodServer(t, c.body, ceiling)
			e := floodEnv(t, s)
			d := e.ServeWith(clitest.PlainBin(t))
			addr := listenAddr(t, d)
			pid := d.Cmd.Process.Pid
			// Each poll reads VmHWM: an unbounded reader fails here, at the
			// bound, not after a gigabyte.
			clitest.PollFor(t, 90*time.Second, func() error {
				if ended, err := d.Ended(); ended {
					t.Fatalf("serve exited (%v) after %d bytes of /events", err, s.sent.Load())
				}
				if hwm, _ := clitest.ProcMemory(t, pid); hwm >= eventsMemoryBound {
					t.Fatalf("serve's peak RSS reached %.1f MiB after %d MiB of /events", float64(hwm)/(1<<20), s.sent.Load()>>20)
				}
				if c.cut {
					if n := strings.Count(d.Stderr.String(), "exceeds 1048576 bytes"); n < 2 || s.conns.Load() < 2 {
						return fmt.Errorf("%d cuts logged over %d connections, %d MiB sent; want the stream cut at 1 MiB twice",
							n, s.conns.Load(), s.sent.Load()>>20)
					}
					return nil
				}
				if s.sent.Load() < ceiling {
					return fmt.Errorf("%d MiB of /events sent, waiting for %d", s.sent.Load()>>20, ceiling>>20)
				}
				return nil
			})
			hwm, rss := clitest.ProcMemory(t, pid)
			t.Logf("%s: /events sent %d bytes over %d connections (at most %d on one); serve's VmHWM %.1f MiB, VmRSS %.1f MiB",
				c.name, s.sent.Load(), s.conns.Load(), s.most.Load(), float64(hwm)/(1<<20), float64(rss)/(1<<20))
			if hwm >= eventsMemoryBound {
				t.Errorf("serve's peak RSS %.1f MiB, want under %d MiB", float64(hwm)/(1<<20), eventsMemoryBound>>20)
			}
			if c.cut {
				if !strings.Contains(d.Stderr.String(), "runtime event stream ended") {
					t.Errorf("the cut stream is not logged as ended; log:\n%s", d.Stderr.String())
				}
			} else if strings.Contains(d.Stderr.String(), "exceeds 1048576 bytes") {
				t.Errorf("a stream of valid events under the limit was cut; log:\n%s", d.Stderr.String())
			}
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/healthz after the flood: %d %q", resp.StatusCode, body)
			}
		})
	}
}

// repeat is a body of head, then chunk again and again.
func repeat(head, chunk string) func(i int) []byte {
	h, c := []byte(head), []byte(chunk)
	return func(i int) []byte {
		if i == 0 {
			return h
		}
		return c
	}
}
