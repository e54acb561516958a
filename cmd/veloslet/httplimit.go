package main

import (
	"net"
	"sync"
	"time"
)

// Limits of the /metrics and /healthz server. One local process once held
// about 20,000 idle keep-alive connections, used up the daemon's file
// descriptors, and every pass failed after it: a connection costs the daemon
// a descriptor until the server lets it go.
const (
	// httpMaxConns bounds open connections, well below the smallest fd
	// limit the daemon meets (256 for a launchd job on macOS): a scraper
	// and a health check need a handful.
	httpMaxConns = 64
	// A client gets this long to send its request's headers, then its body;
	// a response gets writeTimeout; an idle keep-alive connection is closed
	// after idleTimeout.
	httpReadHeaderTimeout = 5 * time.Second
	httpReadTimeout       = 10 * time.Second
	httpWriteTimeout      = 30 * time.Second
	httpIdleTimeout       = 30 * time.Second
	httpMaxHeaderBytes    = 16 << 10
)

// limitListener accepts at most max open connections. A connection over the
// limit is closed as soon as it is accepted, rather than left waiting in the
// kernel's backlog as x/net/netutil.LimitListener does: a flood queued there
// would stand ahead of every health check until it drained, while a closed
// connection costs nothing and tells its client at once.
type limitListener struct {
	net.Listener
	mu   sync.Mutex
	open int
	max  int
	shed uint64 // connections closed over the limit
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, max: max}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.open >= l.max {
			l.shed++
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.open++
		l.mu.Unlock()
		return &limitConn{Conn: c, l: l}, nil
	}
}

// limitConn gives its slot back once, on its first Close.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return err
}
