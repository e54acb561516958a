//go:build !linux

package dockertest

import "syscall"

// deathSignalAttr is nil outside Linux, where these tests have not relied
// on a parent-death signal (macOS has none): Shared then starts a service
// per test, as Start does, rather than leave one behind.
func deathSignalAttr() *syscall.SysProcAttr { return nil }
