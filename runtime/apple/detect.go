package apple

import (
	"context"
	"errors"
	"sync"
)

// versionCache holds the CLI version a pass launches with. The version
// decides the command line (`--progress none` from 0.7,
// `--disable-progress-updates` before), and the CLI can be upgraded while
// the daemon runs, so it is not kept for the process's life: a pass begins
// with List, which marks it stale, and the first launch after that asks
// `container --version` once, however many launches run at the same time.
// A launch refused as a usage error (exit 64: an option this CLI does not
// know) marks it stale too, so the CLI is asked again at once.
type versionCache struct {
	mu    sync.Mutex // held while asking: concurrent launches wait for one answer
	v     *semver
	stale bool
}

// newPass marks the version stale: the next launch asks again.
func (c *versionCache) newPass() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

// refused marks v stale if it is still the version in use (another launch
// may have asked again already).
func (c *versionCache) refused(v *semver) {
	c.mu.Lock()
	if c.v == v {
		c.stale = true
	}
	c.mu.Unlock()
}

// set records a version just read.
func (c *versionCache) set(v semver) *semver {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v, c.stale = &v, false
	return c.v
}

// detectVersion returns the version to launch with, asking the CLI when
// none is known or the one known is stale.
func (r *Runtime) detectVersion(ctx context.Context) (*semver, error) {
	c := &r.ver
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v != nil && !c.stale {
		return c.v, nil
	}
	v, err := r.askVersion(ctx)
	if err != nil {
		if c.v != nil {
			// A failed --version need not fail the launch: the version
			// known from before stays in use (and stale, so the next
			// launch asks again); if it is wrong, exit 64 says so.
			return c.v, nil
		}
		return nil, err
	}
	c.v, c.stale = &v, false
	return c.v, nil
}

// usageError reports a call the CLI's argument parser refused (exit 64).
func usageError(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && ce.ExitCode == 64
}
