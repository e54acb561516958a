package fake

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Faults makes the fake misbehave as a flaky runtime CLI does. Each call
// faults with probability Rate, as one of: a failure (the CLI exits
// non-zero), a hang (the call takes effect but its answer never comes, and
// it fails after Hang, as a CLI backend's deadline would), garbage (output
// that does not parse) or, for List, an empty list (a runtime that briefly
// forgets its containers). Faults live in the host's state, so one setting
// reaches every process sharing a state file.
type Faults struct {
	Rate float64       `json:"rate,omitempty"`
	Seed uint64        `json:"seed,omitempty"`
	Hang time.Duration `json:"hang,omitempty"` // default DefaultHang
}

// DefaultHang is how long a hung call blocks when Faults.Hang is zero.
const DefaultHang = time.Second

// Check reports a rate outside [0, 1] or a negative hang.
func (f Faults) Check() error {
	if f.Rate < 0 || f.Rate > 1 || f.Rate != f.Rate {
		return fmt.Errorf("fault rate %v: must be between 0 and 1", f.Rate)
	}
	if f.Hang < 0 {
		return fmt.Errorf("fault hang %s: must not be negative", f.Hang)
	}
	return nil
}

type fault int

const (
	faultNone fault = iota
	faultFail
	faultHang
	faultGarbage
	faultEmpty
)

// errEmpty tells List to answer with no containers.
var errEmpty = errors.New("empty list")

// SetFaults sets the host's faults; a zero Faults turns them off.
func (r *Runtime) SetFaults(f Faults) error {
	if err := f.Check(); err != nil {
		return err
	}
	return r.b.update(func(st *state) error {
		st.setFaults(f)
		r.b.rng = nil // reseed from the new setting
		return nil
	})
}

// draw decides whether this call faults, and how. It reads the faults of
// the state as last loaded rather than reloading the state file for it: every
// call loads the file anyway, so a new setting counts from the next call.
func (b *backend) draw() (fault, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f := b.st.Faults
	if f.Rate <= 0 {
		return faultNone, 0
	}
	if b.rng == nil {
		b.rng = rand.New(rand.NewPCG(f.Seed, 0x76656c6f))
	}
	if b.rng.Float64() >= f.Rate {
		return faultNone, 0
	}
	hang := f.Hang
	if hang <= 0 {
		hang = DefaultHang
	}
	return fault(1 + b.rng.IntN(4)), hang
}

// call runs act as the operation op, after the latency and any fault.
func (r *Runtime) call(ctx context.Context, op string, act func() error) error {
	if err := r.wait(ctx); err != nil {
		return err
	}
	kind, hang := r.b.draw()
	switch kind {
	case faultFail:
		return fmt.Errorf("%s: exit status 125: Error: internal error (injected fault)", op)
	case faultGarbage:
		return fmt.Errorf("%s: unparseable output %q (injected fault)", op, "\x1b[2K{\"Id\":")
	case faultEmpty:
		if op == "list" {
			return errEmpty
		}
		return fmt.Errorf("%s: exit status 1 with no output (injected fault)", op)
	case faultHang:
		if err := act(); err != nil { // it took effect; only the answer is lost
			return err
		}
		t := time.NewTimer(hang)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return fmt.Errorf("%s: no answer within %s (injected fault): %w", op, hang, context.DeadlineExceeded)
		}
	}
	return act()
}
