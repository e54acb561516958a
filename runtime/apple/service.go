package apple

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// Kernel-install choices for `container system start` (KernelInstall).
const (
	KernelInstallDisable = "disable"
	KernelInstallEnable  = "enable"
)

// Back-off between two `container system start` attempts that failed.
const (
	serviceRetryMin = 2 * time.Second
	serviceRetryMax = 2 * time.Minute
)

// service tracks Apple's container service (the apiserver), which nothing
// starts after a reboot or a logout: `container system start` registers it
// in the caller's launchd domain only, and no LaunchAgent of its own brings
// it back. While it is down every call fails with an XPC error. With
// StartService set, the first call to meet that runs `container system
// start` itself, at most once per back-off interval (doubling from
// serviceRetryMin to serviceRetryMax while it keeps failing), so a broken
// service is never hammered; calls that meet the service down meanwhile
// fail at once and the next pass tries again.
type service struct {
	starting  sync.Mutex // held while starting: concurrent calls wait for one attempt
	mu        sync.Mutex // guards the fields below, never held across a call
	downSince time.Time  // zero: up, or never seen down
	next      time.Time  // no start attempt before
	retry     time.Duration
	lastErr   error // the last start attempt's failure
	starts    int   // attempts so far
	ok        int   // attempts that succeeded
}

// ServiceState says how Apple's container service is, for status and
// /healthz: "" while it answers (or has not been seen down), else when it
// went down and what veloslet does about it.
func (r *Runtime) ServiceState() string {
	s := &r.svc
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.downSince.IsZero() {
		return ""
	}
	line := "container service down since " + s.downSince.Format(time.RFC3339)
	switch {
	case !r.StartService:
		return line + "; start it with `container system start` (runtime.apple.start_service is off)"
	case s.lastErr != nil:
		return fmt.Sprintf("%s; starting it (attempt %d failed: %v; next at %s)", line, s.starts, s.lastErr, s.next.Format(time.TimeOnly))
	}
	return line + "; starting it"
}

// up records a call that the service answered.
func (s *service) up() {
	s.mu.Lock()
	s.downSince, s.retry, s.lastErr, s.next = time.Time{}, 0, nil, time.Time{}
	s.mu.Unlock()
}

// callService runs one call; when it fails because the service is down and
// StartService is set, it starts the service (see service) and, if that
// worked, runs the call once more.
func (r *Runtime) callService(ctx context.Context, call func() ([]byte, error)) ([]byte, error) {
	out, err := call()
	if !errors.Is(err, runtime.ErrUnavailable) {
		if err == nil {
			r.svc.up()
		}
		return out, err
	}
	r.rs.seenDown()
	started, serr := r.startService(ctx)
	if !started {
		return nil, fmt.Errorf("%w (%s)", err, r.stateOr(serr))
	}
	if out, err = call(); err == nil {
		r.svc.up()
	}
	return out, err
}

// stateOr is ServiceState, for an error message.
func (r *Runtime) stateOr(err error) string {
	if st := r.ServiceState(); st != "" {
		return st
	}
	return fmt.Sprint(err)
}

// startService runs `container system start --<kernel>-kernel-install`
// when StartService is set and the back-off allows, and reports whether it
// succeeded. The kernel flag is required: without a terminal the command
// otherwise prompts for a kernel and fails ("failed to read user input").
func (r *Runtime) startService(ctx context.Context) (bool, error) {
	s := &r.svc
	s.mu.Lock()
	ok := s.ok
	s.mu.Unlock()
	s.starting.Lock()
	defer s.starting.Unlock()
	s.mu.Lock()
	if s.ok != ok {
		s.mu.Unlock()
		return true, nil // started by the call this one waited for: try again
	}
	now := r.now()
	if s.downSince.IsZero() {
		s.downSince = now
	}
	wait := !r.StartService || now.Before(s.next)
	if !wait {
		s.starts++
	}
	s.mu.Unlock()
	if wait {
		return false, nil
	}
	flag := "--disable-kernel-install"
	if r.KernelInstall == KernelInstallEnable {
		flag = "--enable-kernel-install"
	}
	_, err := r.Backend.Call(ctx, r.RunTimeout, translate, "system", "start", flag)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.retry = min(max(2*s.retry, serviceRetryMin), serviceRetryMax)
		s.next, s.lastErr = r.now().Add(s.retry), err
		return false, err
	}
	s.lastErr = nil
	s.ok++
	return true, nil
}

// now is the clock of the service's back-off.
func (r *Runtime) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
