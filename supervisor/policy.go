package supervisor

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/veloslet/veloslet/store"
)

// Defaults for Policy. kubelet, Docker and Nomad chose similar numbers.
const (
	DefaultBackoffInitial = 10 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultBackoffReset   = 10 * time.Minute
	DefaultJitter         = 0.2
	DefaultMaxAttempts    = 10
	DefaultCrashLoopAfter = 5
	DefaultBrakeShare     = 0.5
	DefaultBrakeMin       = 3
	DefaultBrakeHold      = time.Minute
	DefaultConcurrency    = 4
)

// Policy holds the restart and safety rules a pass applies.
type Policy struct {
	// BackoffInitial is the wait before the second relaunch in a row; the
	// first is immediate and each later one doubles, up to BackoffMax.
	BackoffInitial time.Duration
	BackoffMax     time.Duration
	// BackoffReset: an instance that ran this long has its failure count reset.
	BackoffReset time.Duration
	// Jitter spreads each wait by ± this share, so a crash storm does not
	// relaunch in lock step.
	Jitter float64
	// MaxAttempts: on-failure gives up after this many relaunches in a row.
	MaxAttempts int
	// CrashLoopAfter: the status shows crash-loop after this many failures in a row.
	CrashLoopAfter int
	// BrakeShare and BrakeMin: a pass that would remove more than BrakeShare of
	// the instances it sees, and more than BrakeMin, removes none of them.
	BrakeShare float64
	BrakeMin   int
	// BrakeHold: how long the brake holds while the same condition persists;
	// a runtime that lists everything as gone for longer is believed.
	BrakeHold time.Duration
	// BootTime is when the host last booted; zero when unknown. An exit of
	// an instance that started before it is the reboot's, not a failure
	// (settleExit). The supervisor fills it in from Supervisor.BootTime.
	BootTime time.Time
}

// DefaultPolicy returns the policy with every default.
func DefaultPolicy() Policy {
	return Policy{
		BackoffInitial: DefaultBackoffInitial, BackoffMax: DefaultBackoffMax,
		BackoffReset: DefaultBackoffReset, Jitter: DefaultJitter,
		MaxAttempts: DefaultMaxAttempts, CrashLoopAfter: DefaultCrashLoopAfter,
		BrakeShare: DefaultBrakeShare, BrakeMin: DefaultBrakeMin, BrakeHold: DefaultBrakeHold,
	}
}

// Validate names the first bad setting.
func (p Policy) Validate() error {
	switch {
	case p.BackoffInitial < 0:
		return fmt.Errorf("restart.backoff_initial = %q: must not be negative", p.BackoffInitial.String())
	case p.BackoffMax < p.BackoffInitial:
		return fmt.Errorf("restart.backoff_max = %q: must be at least restart.backoff_initial (%s)", p.BackoffMax.String(), p.BackoffInitial)
	case p.BackoffReset <= 0:
		return fmt.Errorf("restart.backoff_reset = %q: must be positive", p.BackoffReset.String())
	case p.Jitter < 0 || p.Jitter >= 1:
		return fmt.Errorf("restart.jitter = %v: must be in [0, 1)", p.Jitter)
	case p.MaxAttempts < 1:
		return fmt.Errorf("restart.max_attempts = %d: must be at least 1", p.MaxAttempts)
	case p.CrashLoopAfter < 1:
		return fmt.Errorf("restart.crash_loop_after = %d: must be at least 1", p.CrashLoopAfter)
	case p.BrakeShare <= 0 || p.BrakeShare > 1:
		return fmt.Errorf("reconcile.brake_share = %v: must be in (0, 1]", p.BrakeShare)
	case p.BrakeMin < 0:
		return fmt.Errorf("reconcile.brake_min = %d: must not be negative", p.BrakeMin)
	case p.BrakeHold < 0:
		return fmt.Errorf("reconcile.brake_hold = %q: must not be negative", p.BrakeHold.String())
	}
	return nil
}

// Delay returns how long to wait before relaunching after the given number of
// failures in a row: none after the first, then BackoffInitial doubling up to
// BackoffMax, with jitter. The jitter is derived from uid and failures, not
// from a random source, so the planner stays a pure function.
func (p Policy) Delay(uid string, failures int) time.Duration {
	if failures <= 1 || p.BackoffInitial == 0 { // zero: no back-off at all
		return 0
	}
	// A shift that would overflow means the cap.
	d := p.BackoffMax
	if shift := failures - 2; shift < 32 {
		if x := p.BackoffInitial << shift; x > 0 && x>>shift == p.BackoffInitial && x < p.BackoffMax {
			d = x
		}
	}
	if p.Jitter == 0 {
		return d
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(uid + "/" + strconv.Itoa(failures))) // a hash never fails to write
	frac := float64(h.Sum64()%10000) / 10000                   // [0, 1)
	return time.Duration(float64(d) * (1 + p.Jitter*(2*frac-1)))
}

// forSpec returns the policy that applies to spec: the daemon's, with the
// spec's restart_max_attempts in place of [restart] max_attempts when it
// sets one. Every give-up goes through it (Settle, settleExit, and the
// planner's give-up reason), so the spec's maximum holds whether the
// failure was a failed run, an observed exit or an unhealthy probe.
func (p Policy) forSpec(spec *store.Spec) Policy {
	if spec != nil && spec.RestartMaxAttempts > 0 {
		p.MaxAttempts = spec.RestartMaxAttempts
	}
	return p
}
