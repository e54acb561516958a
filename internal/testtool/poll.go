package testtool

import "time"

// PollCeiling is the longest wait between two polls of a condition.
const PollCeiling = 250 * time.Millisecond

// Pacer spaces the polls of a condition: first apart at first, then half
// again as far each time, up to PollCeiling (or first, if longer). An
// effect that comes at once is seen at once; one that takes seconds is not
// polled for a hundred times — a poll of a real runtime is a process (a
// `podman ps` costs some 100 ms of CPU), and a suite of tests polling every
// 20 ms spent its CPU on that rather than on what it tested.
type Pacer struct {
	next, ceiling time.Duration
}

// NewPacer returns a pacer starting at first.
func NewPacer(first time.Duration) *Pacer {
	// At least a millisecond: from 0 it would never grow, and a poll of a
	// server without a pause is a load on it, not a wait.
	first = max(first, time.Millisecond)
	return &Pacer{next: first, ceiling: max(first, PollCeiling)}
}

// Wait sleeps until the next poll is due.
func (p *Pacer) Wait() {
	time.Sleep(p.next) // polling with a deadline, not waiting for an effect
	p.next = min(p.next*3/2, p.ceiling)
}
