package dockertest

import "syscall"

// deathSignalAttr gives the shared service what Start's get, a process
// group of its own (a ^C at the terminal reaches the tests, which end their
// services, rather than the services under them), and SIGKILL when the
// thread that started it ends: the process has no other end to wait for.
func deathSignalAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
