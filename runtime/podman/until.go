package podman

import (
	"bytes"
	"io"
	"time"
)

// untilCut reads `podman logs --timestamps` output ("<RFC 3339 time> <line>"
// per line) and keeps the last keep lines (all, if 0) stamped before until,
// without their times. A line that does not start with a time (none should:
// podman joins a line it got in parts) takes the time of the line before it.
type untilCut struct {
	until   time.Time
	keep    int
	partial []byte    // a line not ended yet
	last    time.Time // the time of the line before
	lines   [][]byte  // the kept lines, each with its newline; a ring once keep are kept
	next    int       // where the ring's oldest line is
	before  int       // lines stamped before until
	total   int       // lines read
}

func newUntilCut(until time.Time, keep int) *untilCut { return &untilCut{until: until, keep: keep} }

func (c *untilCut) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			break
		}
		c.line(append(c.partial, p[:i+1]...))
		c.partial, p = nil, p[i+1:]
	}
	return n, nil
}

// end takes a last line that has no newline.
func (c *untilCut) end() {
	if len(c.partial) > 0 {
		c.line(append(c.partial, '\n'))
		c.partial = nil
	}
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
	switch {
	case c.keep == 0 || len(c.lines) < c.keep:
		c.lines = append(c.lines, text)
	default:
		c.lines[c.next] = text
		c.next = (c.next + 1) % c.keep
	}
}

// writeTo writes the kept lines, oldest first.
func (c *untilCut) writeTo(w io.Writer) error {
	for _, part := range [][][]byte{c.lines[c.next:], c.lines[:c.next]} {
		for _, l := range part {
			if _, err := w.Write(l); err != nil {
				return err
			}
		}
	}
	return nil
}
