package store

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// ErrInUse is returned when another process has the database file open in a
// way that would give it a second writer: it reaches the same file through
// another path (a hard link, a bind mount) and so keeps its own WAL, or it
// holds the file's daemon lock.
var ErrInUse = errors.New("database file is in use by another process")

// SQLite's unix locking bytes (os_unix.c): every connection in WAL mode
// holds a read lock on the database file's SHARED range for as long as it is
// open, and one on its -shm file's "dead man switch" byte.
const (
	sqliteSharedFirst = 0x40000000 + 2 // PENDING_BYTE + 2
	sqliteSharedSize  = 510
	sqliteShmDMS      = 120 + 8 // WALINDEX_LOCK_OFFSET + SQLITE_SHM_NLOCK
	// identityByte is the byte of the database file the daemon write-locks
	// (see LockFile); SQLite never locks it.
	identityByte = 0x40000000 + 4096
)

// fileKey is a file's identity: whatever the path, one device and inode.
type fileKey struct{ dev, ino uint64 }

// openFile is one descriptor of a database file shared by everything in
// this process that uses the file. POSIX record locks belong to the
// process, and closing any descriptor of a file drops all of them,
// SQLite's included; so the descriptor is opened once and closed only when
// the last user is done, as SQLite does for its own.
type openFile struct {
	f    *os.File
	key  fileKey
	refs int
}

var openFiles = struct {
	sync.Mutex
	m map[fileKey]*openFile
}{m: map[fileKey]*openFile{}}

// acquireFile returns the shared descriptor of the file at path, opened read-
// write when allowed, and whether this call opened it (no other user in this
// process).
func acquireFile(path string) (*openFile, bool, error) {
	openFiles.Lock()
	defer openFiles.Unlock()
	if fi, err := os.Stat(path); err == nil {
		if of := openFiles.m[statKey(fi)]; of != nil {
			of.refs++
			return of, false, nil
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, false, err
	}
	key := statKey(fi)
	if of := openFiles.m[key]; of != nil {
		// The path was replaced by a file in use here between the stat and
		// the open. Closing f would drop this process's locks on that file:
		// it stays open, once, for the life of the process.
		of.refs++
		return of, false, nil
	}
	of := &openFile{f: f, key: key, refs: 1}
	openFiles.m[key] = of
	return of, true, nil
}

// release drops one use; the last closes the descriptor.
func (of *openFile) release() {
	openFiles.Lock()
	defer openFiles.Unlock()
	if of.refs--; of.refs == 0 {
		delete(openFiles.m, of.key)
		_ = of.f.Close()
	}
}

func statKey(fi os.FileInfo) fileKey {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}
	}
	return fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino)} // Dev is int32 on darwin
}

// lockHolder returns the pid of a process whose lock conflicts with a write
// lock on [start, start+size) of f, or 0 if none does. Locks of this
// process never conflict and are not reported.
func lockHolder(f *os.File, start, size int64) (int, error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: start, Len: size}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, fmt.Errorf("query lock on %s: %w", f.Name(), err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	return int(lk.Pid), nil
}

// checkOtherPaths refuses a database another process has open through
// another path. Such a process holds SQLite's lock on the file but not on
// the -shm beside this path: its WAL is elsewhere, and two WALs for one
// file corrupt it. A process that shares this path's -shm shares its WAL
// too, which is how SQLite is meant to be used.
func checkOtherPaths(of *openFile, path string) error {
	// A process opening the file by this path holds the database's lock an
	// instant before its -shm's: ask again before calling it another path.
	var err error
	for try := 0; try < 5; try++ {
		if err = checkOtherPathsOnce(of, path); !errors.Is(err, ErrInUse) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

func checkOtherPathsOnce(of *openFile, path string) error {
	pid, err := lockHolder(of.f, sqliteSharedFirst, sqliteSharedSize)
	if err != nil || pid == 0 {
		return err
	}
	shm, err := os.Open(path + "-shm")
	if err == nil {
		// Safe to close: nothing in this process uses this file (checked by
		// the caller), so it holds no lock on it that the close could drop.
		defer func() { _ = shm.Close() }()
		if sharer, err := lockHolder(shm, sqliteShmDMS, 1); err != nil || sharer != 0 {
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check %s-shm: %w", path, err)
	}
	return fmt.Errorf("%w: pid %d has %s open through another path (a hard link, bind mount or copy of the path), "+
		"with its own WAL; stop it first", ErrInUse, pid, path)
}

// FileLock is the daemon's write lock on the database file itself: on the
// file, not on a path, so a second daemon reaching the file by a hard link
// or bind mount meets it. Beside it the holder read-locks one byte per its
// pid (pidBase + pid), so that the refused one can name it: lock queries do
// not report the pid of a descriptor-owned lock.
type FileLock struct {
	of  *openFile
	pid int64
}

// pidBase is where the pid bytes start; pidMax covers Linux's largest pid.
const (
	pidBase = 0x50000000
	pidMax  = 1 << 22
)

// LockFile takes the file lock of the database at path, creating the file
// (0600) if needed, without waiting. Returns ErrInUse naming the holder's pid
// when another process holds it or has the file open through another path.
func LockFile(path string) (*FileLock, error) {
	if err := createFile(path); err != nil {
		return nil, err
	}
	of, first, err := acquireFile(path)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := setOwnLock(of.f, syscall.F_WRLCK, identityByte, 1); err != nil {
		defer of.release()
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		pid := "unknown"
		if at, err := ownLockConflict(of.f, pidBase, pidMax); err == nil && at >= pidBase {
			pid = fmt.Sprint(at - pidBase)
		}
		return nil, fmt.Errorf("%w: %s is served by pid %s (the same file, reached by this path or another)", ErrInUse, path, pid)
	}
	l := &FileLock{of: of, pid: int64(os.Getpid())}
	_ = setOwnLock(of.f, syscall.F_RDLCK, pidBase+l.pid, 1) // only names us; the lock above excludes
	if first {
		if err := checkOtherPaths(of, path); err != nil {
			_ = l.Unlock()
			return nil, err
		}
	}
	return l, nil
}

// Unlock drops the lock.
func (l *FileLock) Unlock() error {
	_ = setOwnLock(l.of.f, syscall.F_UNLCK, pidBase+l.pid, 1)
	err := setOwnLock(l.of.f, syscall.F_UNLCK, identityByte, 1)
	l.of.release()
	return err
}

// acquireAndCheck takes this process's shared descriptor of the file and,
// when nothing here had it open yet, refuses a file another process has
// open through another path (see checkOtherPaths).
func acquireAndCheck(path string) (*openFile, error) {
	of, first, err := acquireFile(path)
	if err != nil {
		return nil, err
	}
	if first {
		if err := checkOtherPaths(of, path); err != nil {
			of.release()
			return nil, err
		}
	}
	return of, nil
}

// createFile makes an empty database file 0600 before the driver does, so
// that it never exists with the process's umask permissions. An existing
// file is not opened (closing a descriptor would drop this process's locks
// on it): access(2) says whether it can be written.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		if aerr := syscall.Access(path, 2); aerr != nil { // W_OK
			err = &os.PathError{Op: "access", Path: path, Err: aerr}
		} else {
			err = nil
		}
	} else if err == nil {
		err = f.Close()
	}
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}
