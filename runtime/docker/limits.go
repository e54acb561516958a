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
	// MaxStreamValue bounds one JSON value of a streamed answer (/events, a
	// pull's progress), counted with the blank space before it: a died event
	// is a few hundred bytes plus the container's labels. A line limit would
	// not do: the client's JSON decoder holds a value whole however many
	// lines it spans, and keeps the blank lines before one too. The
	// stream's total is not bounded: it is read as it comes.
	MaxStreamValue = 1 << 20
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

// limitTransport bounds each answer's body: a streamed one per value, a logs
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
		resp.Body = &valueLimit{rc: resp.Body, max: MaxStreamValue, what: what}
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

// valueLimit fails a read once more than max bytes came since the last
// top-level JSON value of the stream ended. It follows only what tells
// where a value ends (strings, their escapes, bracket depth); the JSON
// decoder reading through it checks the rest. A top-level value that is
// not an object, an array or a string ends nothing here: an event stream
// has none, and the decoder refuses them anyway.
type valueLimit struct {
	rc       io.ReadCloser
	max      int
	run      int // bytes since the last top-level value ended
	depth    int
	inString bool
	escaped  bool
	what     string
}

func (l *valueLimit) Read(p []byte) (int, error) {
	if room := l.max - l.run; len(p) > room+1 {
		p = p[:room+1] // never read far past the limit
	}
	n, err := l.rc.Read(p)
	for _, b := range p[:n] {
		if l.run++; l.run > l.max {
			return 0, fmt.Errorf("%w: a value of the answer to %s exceeds %d bytes", ErrTooLarge, l.what, l.max)
		}
		if l.step(b) {
			l.run = 0
		}
	}
	return n, err
}

// step takes in one byte and reports whether it ended a top-level value.
func (l *valueLimit) step(b byte) bool {
	switch {
	case l.escaped:
		l.escaped = false
	case l.inString:
		switch b {
		case '\\':
			l.escaped = true
		case '"':
			l.inString = false
			return l.depth == 0
		}
	case b == '"':
		l.inString = true
	case b == '{' || b == '[':
		l.depth++
	case b == '}' || b == ']':
		if l.depth == 0 {
			return false // unmatched: the decoder's to refuse, and it ends nothing
		}
		l.depth--
		return l.depth == 0
	}
	return false
}

func (l *valueLimit) Close() error { return l.rc.Close() }
