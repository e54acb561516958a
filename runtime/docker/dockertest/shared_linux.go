package dockertest

import "syscall"

// deathSignalAttr starts the shared service in a process group of its own,
// killed when the thread that started it ends.
func deathSignalAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
