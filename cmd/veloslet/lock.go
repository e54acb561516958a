package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"

	"github.com/veloslet/veloslet/store"
)

// errLocked is returned when another veloslet serves the database.
var errLocked = errors.New("database is served by another veloslet")

// daemonLock is the exclusive lock beside the database that one daemon
// holds, and with holdFile the lock on the database file itself.
type daemonLock struct {
	fl     *flock.Flock
	path   string
	dbPath string
	file   *store.FileLock
}

// lockPath names the lock after the database file's real path, symlinks
// resolved, so that two daemons reaching one file by different paths meet
// at one lock.
func lockPath(dbPath string) string { return realPath(dbPath) + ".lock" }

// realPath resolves every symlink in path; for a file not yet created, those
// of its folder.
func realPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	dir, base := filepath.Split(path)
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(r, base)
	}
	return path
}

// acquireLock takes the lock without waiting and writes our pid into it.
// Returns errLocked, naming the holder's pid, if another process holds it.
func acquireLock(dbPath string) (*daemonLock, error) {
	path := lockPath(dbPath)
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s is held by pid %s", errLocked, path, holderPID(path))
	}
	// The pid is for operators and for the error above; the lock is the flock.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		_ = fl.Unlock()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &daemonLock{fl: fl, path: path, dbPath: dbPath}, nil
}

// holdFile also locks the database file itself (creating it if needed):
// the lock beside a path does not stop a daemon reaching the same file by a
// hard link or a bind mount, whose lock file is another. Take it before the
// database opens; it is dropped by release, after the database closes.
func (l *daemonLock) holdFile() error {
	fl, err := store.LockFile(l.dbPath)
	if err != nil {
		return err
	}
	l.file = fl
	return nil
}

// lockHeld reports whether a daemon holds the lock, without keeping it.
func lockHeld(dbPath string) (bool, error) {
	if _, err := os.Stat(filepath.Dir(lockPath(dbPath))); errors.Is(err, fs.ErrNotExist) {
		return false, nil // no folder yet, so no database and no daemon
	}
	l, err := acquireLock(dbPath)
	if errors.Is(err, errLocked) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return false, l.release()
}

func holderPID(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(b)) == "" {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// release empties the pid and drops the lock. The file stays: removing it
// would race with a process that opened it to wait for the lock.
func (l *daemonLock) release() error {
	var ferr error
	if l.file != nil {
		ferr = l.file.Unlock()
	}
	_ = os.Truncate(l.path, 0)
	return errors.Join(ferr, l.fl.Unlock())
}
