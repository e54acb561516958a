package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// Read limits: whatever the server sends, the daemon holds at most this
// much of it at once. A server that sends more fails the call with
// ErrTooLarge instead of growing the daemon.
const (
	// MaxResponse bounds one answer that is read whole: a list, an inspect,
	// a version. A list of 10,000 containers is some 20 MB.
	MaxResponse = 32 << 20
	// MaxStreamLine bounds one line of a streamed answer (/events, a pull's
	// progress): a died event is a few hundred bytes plus the container's
	// labels. The stream's total is not bounded: it is read as it comes.
	MaxStreamLine = 1 << 20
	// MaxLogFrame bounds one frame of a logs answer (Docker cuts a line at
	// 16 KiB; podman's service sends a line per frame). A frame is copied
	// through in small pieces, never held whole.
	MaxLogFrame = 1 << 20
)

// ErrTooLarge is returned by a call whose answer passes a read limit.
var ErrTooLarge = errors.New("answer too large")

// maxResponse is MaxResponse; a test lowers it (export_test.go) to keep an
// endless answer's test short under -race.
var maxResponse int64 = MaxResponse

// newHTTPClient returns the HTTP client the API client is built on: it
// dials through dial (which knows the host's scheme, address and TLS) and
// bounds every answer's body by the limits above.
func newHTTPClient(dial func(context.Context) (net.Conn, error)) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		// As the client's own transport: idle connections of a long-lived
		// process are let go.
		MaxIdleConns:    6,
		IdleConnTimeout: 30 * time.Second,
	}
	return &http.Client{Transport: limitTransport{tr}, CheckRedirect: client.CheckRedirect}, tr
}

// limitTransport bounds each answer's body: a streamed one per line, a logs
// one not at all here (logs.go bounds its frames), any other whole.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	what := req.Method + " " + req.URL.Path
	switch p := req.URL.Path; {
	case strings.HasSuffix(p, "/logs"):
	case strings.HasSuffix(p, "/events") || strings.HasSuffix(p, "/images/create"):
		resp.Body = &lineLimit{rc: resp.Body, max: MaxStreamLine, what: what}
	default:
		resp.Body = &totalLimit{rc: resp.Body, max: maxResponse, left: maxResponse, what: what}
	}
	return resp, nil
}

// totalLimit fails a read once more than MaxResponse bytes came.
type totalLimit struct {
	rc   io.ReadCloser
	max  int64
	left int64
	what string
}

func (l *totalLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		if n, err := l.rc.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("%w: the answer to %s exceeds %d bytes", ErrTooLarge, l.what, l.max)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *totalLimit) Close() error { return l.rc.Close() }

// lineLimit fails a read once a line passes max bytes without its newline.
type lineLimit struct {
	rc   io.ReadCloser
	max  int
	run  int // bytes since the last newline
	what string
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if room := l.max - l.run; len(p) > room+1 {
		p = p[:room+1] // never read far past the limit
	}
	n, err := l.rc.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			continue
		}
		if l.run++; l.run > l.max {
			return 0, fmt.Errorf("%w: a line of the answer to %s exceeds %d bytes", ErrTooLarge, l.what, l.max)
		}
	}
	return n, err
}

func (l *lineLimit) Close() error { return l.rc.Close() }
