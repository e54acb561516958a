//go:build !linux

package store

import (
	"os"
	"syscall"
)

// setOwnLock sets (or with F_UNLCK clears) a lock on [start, start+size)
// without waiting. Without Linux's descriptor-owned locks it is a classic
// POSIX lock of the process: SQLite's unlock of the whole file, when its
// connection drops to no lock, drops it too. The check at open
// (checkOtherPaths) stays the guard there.
func setOwnLock(f *os.File, typ int16, start, size int64) error {
	lk := syscall.Flock_t{Type: typ, Start: start, Len: size}
	return syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
}

// ownLockConflict returns the start of the first lock another process holds
// that conflicts with a write lock on [start, start+size), or -1.
func ownLockConflict(f *os.File, start, size int64) (int64, error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: start, Len: size}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return -1, err
	}
	if lk.Type == syscall.F_UNLCK {
		return -1, nil
	}
	return lk.Start, nil
}
