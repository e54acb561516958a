package store

import (
	"errors"
	"os"
	"syscall"
)

// Open-file-description locks (Linux 3.15+; asm-generic/fcntl.h, the same on
// every architecture). They belong to the descriptor, not the process:
// SQLite's own unlock of the whole file on this process's behalf (which it
// does whenever its connection drops to no lock) and closes of other
// descriptors leave them alone, where a classic lock would be gone.
const (
	fOFDGetlk = 36
	fOFDSetlk = 37
)

// setOwnLock sets (or with F_UNLCK clears) a lock of f's own on
// [start, start+size) without waiting.
func setOwnLock(f *os.File, typ int16, start, size int64) error {
	lk := syscall.Flock_t{Type: typ, Start: start, Len: size}
	err := syscall.FcntlFlock(f.Fd(), fOFDSetlk, &lk)
	if errors.Is(err, syscall.EINVAL) { // a kernel before 3.15: a classic lock, as on macOS
		err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
	}
	return err
}

// ownLockConflict returns the start of the first lock another descriptor
// holds that conflicts with a write lock on [start, start+size), or -1.
func ownLockConflict(f *os.File, start, size int64) (int64, error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: start, Len: size}
	err := syscall.FcntlFlock(f.Fd(), fOFDGetlk, &lk)
	if errors.Is(err, syscall.EINVAL) {
		err = syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk)
	}
	if err != nil {
		return -1, err
	}
	if lk.Type == syscall.F_UNLCK {
		return -1, nil
	}
	return lk.Start, nil
}
