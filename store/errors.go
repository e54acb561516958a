package store

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/veloslet/veloslet/spec"
)

// Store errors. Callers test them with errors.Is.
var (
	// ErrNotFound is returned by FindSpecByUID, DeleteSpec and SetDesiredState
	// when no spec has the uid.
	ErrNotFound = errors.New("not found")
	// ErrInvalid is returned when a spec or argument fails validation, by the
	// code or by the schema's CHECK constraints.
	ErrInvalid = spec.ErrInvalid
	// ErrConflict is returned when a write breaks a uniqueness rule.
	ErrConflict = errors.New("conflict")
	// ErrBusy is returned when another connection held the write lock longer
	// than the busy timeout.
	ErrBusy = errors.New("database is locked")
	// ErrCorrupt is returned by Open when the file is not a usable SQLite
	// database. The file is left as it was.
	ErrCorrupt = errors.New("database file is corrupt or not a database")
	// ErrReadOnly is returned when the file or its folder cannot be written.
	ErrReadOnly = errors.New("database is read-only")
	// ErrFull is returned when the disk is full.
	ErrFull = errors.New("disk is full")
	// ErrNewerSchema is returned by Open when the file was migrated by a newer
	// veloslet than this one. The file is left as it was.
	ErrNewerSchema = errors.New("database schema is newer than this veloslet")
	// ErrFileReplaced is returned by CheckFile when the path no longer names
	// the file that was opened: it was deleted, moved or replaced.
	ErrFileReplaced = errors.New("database file was deleted or replaced")
)

// translate maps a driver error onto our sentinels by SQLite result code,
// never by message text. It keeps the driver's text for the operator.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	var sentinel error
	switch se.Code() & 0xff { // primary code; extended codes carry detail in the high bits
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		sentinel = ErrBusy
	case sqlite3.SQLITE_CONSTRAINT:
		if se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			sentinel = ErrConflict
		} else {
			sentinel = ErrInvalid
		}
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		sentinel = ErrCorrupt
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		sentinel = ErrReadOnly
	case sqlite3.SQLITE_FULL:
		sentinel = ErrFull
	case sqlite3.SQLITE_IOERR:
		// Growing the shared-memory file fails when the disk is full (it is
		// how a full disk first shows in WAL mode); other I/O errors pass.
		if se.Code() != sqlite3.SQLITE_IOERR_SHMSIZE {
			return err
		}
		sentinel = ErrFull
	default:
		return err
	}
	return fmt.Errorf("%w: %v", sentinel, se)
}

// notFound turns sql.ErrNoRows into ErrNotFound and translates the rest.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return translate(err)
}
