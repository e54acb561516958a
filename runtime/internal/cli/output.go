package cli

// Output limits of one CLI call. A CLI that prints without end (a runaway
// progress bar, a broken build) must not grow the daemon without bound.
const (
	// MaxStdout bounds what a call reads of stdout. stdout is parsed (the
	// list of every container), so it is never cut: a call whose stdout
	// exceeds it is stopped there and fails with an error naming the limit.
	MaxStdout = 32 << 20
	// StderrKeep is how much of stderr's start and of its end a call
	// keeps; the middle is dropped and counted.
	StderrKeep = 64 << 10
)

// headTail is an io.Writer that keeps the first head bytes and the last tail
// bytes written to it, and counts the rest.
type headTail struct {
	head, tail int
	first      []byte
	ring       []byte // the last tail bytes once first is full; start at pos
	pos        int
	total      int64
	fail       bool // fail a write once head is full (tail must be 0)
}

func newHeadTail(head, tail int) *headTail { return &headTail{head: head, tail: tail} }

func (w *headTail) Write(p []byte) (int, error) {
	n := len(p)
	w.total += int64(n)
	if room := w.head - len(w.first); room > 0 {
		k := min(room, len(p))
		w.first = append(w.first, p[:k]...)
		p = p[k:]
	}
	if w.tail == 0 {
		if w.fail && len(p) > 0 {
			return n - len(p), ErrOutputTooLarge
		}
		return n, nil
	}
	for len(p) > 0 {
		if len(w.ring) < w.tail {
			k := min(w.tail-len(w.ring), len(p))
			w.ring = append(w.ring, p[:k]...)
			p = p[k:]
			continue
		}
		k := copy(w.ring[w.pos:], p)
		w.pos = (w.pos + k) % w.tail
		p = p[k:]
	}
	return n, nil
}

// Truncated reports whether bytes were dropped.
func (w *headTail) Truncated() bool { return w.total > int64(len(w.first)+len(w.ring)) }

// Bytes returns what was kept: the head, a marker with the count of dropped
// bytes when there was a gap, then the tail.
func (w *headTail) Bytes() []byte {
	out := append([]byte(nil), w.first...)
	if w.Truncated() && w.tail > 0 {
		out = append(out, []byte("\n[…"+itoa(w.total-int64(len(w.first)+len(w.ring)))+" bytes dropped…]\n")...)
	}
	out = append(out, w.ring[w.pos:]...)
	return append(out, w.ring[:w.pos]...)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
