package docker_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker"
)

// hostile is an API server that answers /_ping and sends what stream
// writes for every other request, counting the bytes it got out.
func hostile(t *testing.T, stream func(w http.ResponseWriter, r *http.Request) error) (*docker.Runtime, *atomic.Int64) {
	t.Helper()
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Header().Set("Api-Version", "1.41")
			_, _ = w.Write([]byte("OK"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		cw := &countWriter{w: w, n: &sent}
		_ = stream(cw, r)
	}))
	t.Cleanup(srv.Close)
	rt, err := docker.New("tcp://" + srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt, &sent
}

type countWriter struct {
	w http.ResponseWriter
	n *atomic.Int64
}

func (c *countWriter) Header() http.Header { return c.w.Header() }
func (c *countWriter) WriteHeader(s int)   { c.w.WriteHeader(s) }
func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// endless writes head, then chunk until the client goes away.
func endless(head, chunk []byte) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := w.Write(head); err != nil {
			return err
		}
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	}
}

// heapPeak samples the heap in use until stop is called, which returns the
// highest sample.
func heapPeak() (stop func() uint64) {
	var (
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	goruntime.GC() // what earlier tests left is not counted
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m goruntime.MemStats
			goruntime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// TestWatch_EndlessEventValue: an /events answer whose value never ends
// fails Watch with ErrTooLarge once a value passes MaxStreamValue, whether
// it stays on one line or spans short ones, and so does an endless run of
// blank lines (the JSON decoder keeps those before a value); the heap stays
// far under 100 MB meanwhile.
func TestWatch_EndlessEventValue(t *testing.T) {
	const head = `{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"velos-a"`
	for _, c := range []struct {
		name        string
		head, chunk []byte
	}{
		{"one line", []byte(head + `,"x":"`), bytes.Repeat([]byte("a"), 64<<10)},
		{"many lines", []byte(head), bytes.Repeat([]byte(`,`+"\n"+`"k":"v"`), 8<<10)},
		{"blank lines", nil, bytes.Repeat([]byte("\n"), 64<<10)},
	} {
		rt, sent := hostile(t, endless(c.head, c.chunk))
		stop := heapPeak()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := rt.Watch(ctx, make(chan runtime.Event, 1))
		cancel()
		peak := stop()
		if !errors.Is(err, docker.ErrTooLarge) || !strings.Contains(err.Error(), "exceeds 1048576 bytes") {
			t.Fatalf("%s: Watch: %v, want ErrTooLarge naming the limit", c.name, err)
		}
		t.Logf("%s: Watch: %v; the server got %d bytes out; heap peak %d MB", c.name, err, sent.Load(), peak>>20)
		if peak > 50<<20 {
			t.Fatalf("%s: heap in use peaked at %d MB", c.name, peak>>20)
		}
	}
}

// TestWatch_LongEventStreamBounded: a long /events stream of valid events
// (not ours, 64 KiB of labels each, 16 MiB in all: 16 times the value limit) is read as it comes:
// Watch keeps running and the heap stays far under 100 MB. The labels hold
// brackets and escaped quotes, which must not be taken for the value's end
// or start.
func TestWatch_LongEventStreamBounded(t *testing.T) {
	const total = 16 << 20
	ev := []byte(`{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{"name":"web","x":"` +
		strings.Repeat(`b}]\"{[\\`, 8<<10) + `"}},"time":1}` + "\n")
	done := make(chan struct{})
	rt, sent := hostile(t, func(w http.ResponseWriter, r *http.Request) error {
		defer close(done)
		for n := 0; n < total; n += len(ev) {
			if _, err := w.Write(ev); err != nil {
				return err
			}
		}
		return nil
	})
	stop := heapPeak()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	werr := make(chan error, 1)
	go func() { werr <- rt.Watch(ctx, make(chan runtime.Event, 1)) }()
	select {
	case <-done:
	case err := <-werr:
		t.Fatalf("Watch ended after %d bytes: %v", sent.Load(), err)
	}
	err := <-werr // the server ended the stream
	peak := stop()
	t.Logf("streamed %d MB; Watch: %v; heap peak %d MB", sent.Load()>>20, err, peak>>20)
	if errors.Is(err, docker.ErrTooLarge) {
		t.Fatalf("Watch: %v; no line was too long", err)
	}
	if peak > 50<<20 {
		t.Fatalf("heap in use peaked at %d MB", peak>>20)
	}
}

// TestList_EndlessAnswer: a container list that never ends fails List
// with ErrTooLarge at the whole-answer limit (MaxResponse, 32 MiB; lowered
// to 1 MiB here, which -race reads 30 times faster).
func TestList_EndlessAnswer(t *testing.T) {
	defer docker.SetMaxResponse(1 << 20)()
	rt, sent := hostile(t, endless([]byte("["), bytes.Repeat([]byte(`{"Id":"0123456789abcdef","Names":["/web"],"State":"running"},`), 1000)))
	_, err := rt.List(context.Background())
	if !errors.Is(err, docker.ErrTooLarge) || !strings.Contains(err.Error(), "exceeds 1048576 bytes") {
		t.Fatalf("List: %v, want ErrTooLarge naming the limit", err)
	}
	t.Logf("List: %v; the server got %d KB out", err, sent.Load()>>10)
}

// TestLogs_Bounded: a logs frame announcing 4 GiB is refused at its header,
// and a logs answer that never ends is cut at the caller's deadline with
// that deadline named, not CallTimeout.
func TestLogs_Bounded(t *testing.T) {
	var hdr [8]byte
	hdr[0] = 1
	binary.BigEndian.PutUint32(hdr[4:], 1<<32-1)
	rt, _ := hostile(t, endless(hdr[:], bytes.Repeat([]byte("x"), 4096)))
	err := rt.Logs(context.Background(), "abc", runtime.LogOptions{Tail: 10}, &bytes.Buffer{})
	if !errors.Is(err, docker.ErrTooLarge) || !strings.Contains(err.Error(), "4294967295 bytes exceeds 1048576") {
		t.Fatalf("Logs of a 4 GiB frame: %v, want ErrTooLarge", err)
	}

	frame := append([]byte{1, 0, 0, 0, 0, 0, 0, 6}, "line.\n"...)
	slow, _ := hostile(t, func(w http.ResponseWriter, r *http.Request) error {
		for r.Context().Err() == nil {
			if _, err := w.Write(frame); err != nil {
				return err
			}
			w.(*countWriter).w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
		return nil
	})
	slow.CallTimeout = time.Hour // the caller's deadline, not this, must cut the read
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err = slow.Logs(ctx, "abc", runtime.LogOptions{Tail: 10}, &out)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "within 300ms") || !strings.Contains(out.String(), "line.\n") {
		t.Fatalf("Logs cut by a 300ms deadline: %v (read %d bytes), want the deadline named", err, out.Len())
	}
}
