package podman

import (
	"bytes"
	"io"
	"strconv"
	"time"
)

// Bounds of what logsUntil holds, whatever podman prints: a line is kept up
// to MaxLogLine bytes (the rest is dropped and counted in a marker), and the
// kept lines together up to MaxLogKept bytes (the oldest go first). podman
// hands a line over whole however long the container made it; a crash loop
// printing 2 MB lines must not cost the daemon 2 MB per line of the tail.
const (
	MaxLogLine = 64 << 10
	// MaxLogKept is the most [logs] max_bytes allows: the crash log keeps
	// no more than that anyway.
	MaxLogKept = 16 << 20
)

// untilCut reads `podman logs --timestamps` output ("<RFC 3339 time> <line>"
// per line) and keeps the last keep lines (all, if 0) stamped before until,
// without their times. A line that does not start with a time (none should:
// podman joins a line it got in parts) takes the time of the line before it.
type untilCut struct {
	until   time.Time
	keep    int
	partial []byte    // a line not ended yet, at most MaxLogLine bytes of it
	over    int       // bytes of the partial line dropped past MaxLogLine
	last    time.Time // the time of the line before
	lines   [][]byte  // the kept lines, oldest first, each with its newline
	size    int       // bytes in lines
	before  int       // lines stamped before until
	total   int       // lines read
}

func newUntilCut(until time.Time, keep int) *untilCut { return &untilCut{until: until, keep: keep} }

func (c *untilCut) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		room := max(MaxLogLine-len(c.partial), 0)
		k := min(room, len(chunk))
		c.partial = append(c.partial, chunk[:k]...)
		c.over += len(chunk) - k
		if i < 0 {
			break
		}
		c.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// end takes a last line that has no newline.
func (c *untilCut) end() {
	if len(c.partial) > 0 || c.over > 0 {
		c.endLine()
	}
}

// endLine takes the partial line as a whole one, marked if it was cut.
func (c *untilCut) endLine() {
	l := c.partial
	if c.over > 0 {
		l = append(l, "…["+strconv.Itoa(c.over)+" bytes cut]"...)
	}
	c.line(append(l, '\n'))
	c.partial, c.over = nil, 0
}

func (c *untilCut) line(l []byte) {
	c.total++
	text := l
	if sp := bytes.IndexByte(l, ' '); sp > 0 {
		if t, err := time.Parse(time.RFC3339Nano, string(l[:sp])); err == nil {
			c.last, text = t, l[sp+1:]
		}
	}
	if !c.last.Before(c.until) {
		return
	}
	c.before++
	c.lines = append(c.lines, text)
	c.size += len(text)
	for len(c.lines) > 1 && ((c.keep > 0 && len(c.lines) > c.keep) || c.size > MaxLogKept) {
		c.size -= len(c.lines[0])
		c.lines[0] = nil
		c.lines = c.lines[1:]
	}
}

// writeTo writes the kept lines, oldest first.
func (c *untilCut) writeTo(w io.Writer) error {
	for _, l := range c.lines {
		if _, err := w.Write(l); err != nil {
			return err
		}
	}
	return nil
}
