//go:build !linux

package dockertest

import "syscall"

// deathSignalAttr is nil where there is no parent-death signal: Shared then
// starts a service per test, as Start does, rather than leave one behind.
func deathSignalAttr() *syscall.SysProcAttr { return nil }
