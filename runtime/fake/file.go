package fake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// The file-backed host is a snapshot (the state as JSON) plus a journal of
// changes appended since, one JSON line each. A change appends one line
// instead of rewriting every container, and a process reads only the lines
// it has not seen, so a host of 10,000 containers costs each call about as
// much as one of ten. The journal is folded into a new snapshot once it
// holds more lines than the host has containers (and at least
// compactAfter), which keeps both files bounded.
const compactAfter = 4096

// change is one journal line. Replaying a journal onto a snapshot that
// already holds it changes nothing, so a process that dies between writing
// a new snapshot and starting a new journal leaves a consistent host.
type change struct {
	Set    *Container `json:"set,omitempty"`
	Delete string     `json:"delete,omitempty"`
	NextID int        `json:"next_id,omitempty"`
	Faults *Faults    `json:"faults,omitempty"`
}

func (st *state) apply(c change) {
	switch {
	case c.Set != nil:
		st.Containers[c.Set.Name] = *c.Set
	case c.Delete != "":
		delete(st.Containers, c.Delete)
	}
	if c.NextID > 0 {
		st.NextID = c.NextID
	}
	if c.Faults != nil {
		st.Faults = *c.Faults
	}
}

// record applies a change and keeps it for the journal.
func (st *state) record(c change) {
	st.apply(c)
	st.changes = append(st.changes, c)
	st.sorted = nil
}

func (st *state) put(c Container) { st.record(change{Set: &c, NextID: st.NextID}) }
func (st *state) remove(name string) {
	if _, ok := st.Containers[name]; ok {
		st.record(change{Delete: name})
	}
}
func (st *state) setFaults(f Faults) { st.record(change{Faults: &f}) }

// files tracks what this process has read of the host's files.
type files struct {
	snapshot os.FileInfo // as last read or written; nil for none
	journal  os.FileInfo // the journal file the offset belongs to
	offset   int64       // journal bytes applied
	lines    int         // journal lines since the snapshot
}

// update applies fn to the state under the mutex and, when file-backed, under
// an exclusive file lock with the files' news read first and fn's changes
// appended after, so that several processes see one host.
func (b *backend) update(fn func(*state) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	unlock, err := b.sync()
	if err != nil {
		return err
	}
	defer unlock()
	b.st.changes = nil
	err = fn(&b.st)
	changes := b.st.changes
	b.st.changes = nil
	if b.path == "" || len(changes) == 0 {
		return err
	}
	if werr := b.append(changes); werr != nil {
		b.files = files{} // what is in memory is not on file: read it all again
		return errors.Join(err, werr)
	}
	return err
}

// view runs fn over the current state without writing it.
func (b *backend) view(fn func(*state)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	unlock, err := b.sync()
	if err != nil {
		return err
	}
	defer unlock()
	fn(&b.st)
	return nil
}

// sync takes the host's file lock and brings the state up to date with the
// files; the caller holds b.mu and calls the returned unlock when done. A
// host in memory only has nothing to sync.
func (b *backend) sync() (unlock func(), err error) {
	if b.path == "" {
		return func() {}, nil
	}
	if unlock, err = b.lock(); err != nil {
		return nil, err
	}
	if err := b.load(); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

func (b *backend) lock() (func(), error) {
	l := flock.New(b.path + ".lock")
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("lock fake state %s: %w", b.path, err)
	}
	return func() { _ = l.Unlock() }, nil
}

func (b *backend) journalPath() string { return b.path + ".journal" }

// load brings the state up to date with the files: the snapshot again only
// if another process wrote a new one, then the journal lines not yet applied.
func (b *backend) load() error {
	fi, err := os.Stat(b.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if b.files.snapshot != nil || b.st.Containers == nil {
			b.st, b.files = state{Containers: map[string]Container{}}, files{}
		}
	case err != nil:
		return fmt.Errorf("read fake state: %w", err)
	case !sameStamp(fi, b.files.snapshot):
		if err := b.readSnapshot(); err != nil {
			return err
		}
		b.files = files{snapshot: fi}
	}
	return b.readJournal()
}

func sameStamp(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func (b *backend) readSnapshot() error {
	data, err := os.ReadFile(b.path)
	if err != nil {
		return fmt.Errorf("read fake state: %w", err)
	}
	st := state{Containers: map[string]Container{}}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("read fake state %s: %w", b.path, err)
		}
		if st.Containers == nil {
			st.Containers = map[string]Container{}
		}
	}
	b.st = st
	return nil
}

func (b *backend) readJournal() error {
	f, err := os.Open(b.journalPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read fake journal: %w", err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read fake journal: %w", err)
	}
	if b.files.journal == nil || !os.SameFile(fi, b.files.journal) {
		b.files.journal, b.files.offset, b.files.lines = fi, 0, 0
	}
	if fi.Size() <= b.files.offset {
		return nil
	}
	if _, err := f.Seek(b.files.offset, io.SeekStart); err != nil {
		return fmt.Errorf("read fake journal: %w", err)
	}
	r := bufio.NewReader(io.LimitReader(f, fi.Size()-b.files.offset))
	for {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 || line[len(line)-1] != '\n' {
			break // the end, or a line a killed writer left half done
		}
		var c change
		if jerr := json.Unmarshal(bytes.TrimSpace(line), &c); jerr != nil {
			return fmt.Errorf("read fake journal %s at byte %d: %w", b.journalPath(), b.files.offset, jerr)
		}
		b.st.apply(c)
		b.st.sorted = nil
		b.files.offset += int64(len(line))
		b.files.lines++
		if err != nil {
			break
		}
	}
	return nil
}

// append writes changes to the journal in one write, or folds everything
// into a new snapshot when the journal has grown past the host's size.
func (b *backend) append(changes []change) error {
	if b.files.lines+len(changes) > max(compactAfter, len(b.st.Containers)) {
		return b.compact()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, c := range changes {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(b.journalPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("write fake journal: %w", err)
	}
	// A writer killed mid-line left a tail that load skipped: cut it, so
	// the next line does not merge with it. The file lock is held.
	if fi, err := f.Stat(); err == nil && b.files.journal != nil && os.SameFile(fi, b.files.journal) && fi.Size() > b.files.offset {
		if err := f.Truncate(b.files.offset); err != nil {
			_ = f.Close()
			return fmt.Errorf("write fake journal: %w", err)
		}
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		_ = f.Close()
		return fmt.Errorf("write fake journal: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write fake journal: %w", err)
	}
	return b.readJournal() // only our own lines: moves the offset past them
}

// compact writes the state as a new snapshot, then starts an empty journal.
func (b *backend) compact() error {
	if err := writeAtomic(b.path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(b.st)
	}); err != nil {
		return err
	}
	if err := writeAtomic(b.journalPath(), func(io.Writer) error { return nil }); err != nil {
		return err
	}
	snap, err := os.Stat(b.path)
	if err != nil {
		return fmt.Errorf("write fake state: %w", err)
	}
	journal, err := os.Stat(b.journalPath())
	if err != nil {
		return fmt.Errorf("write fake journal: %w", err)
	}
	b.files = files{snapshot: snap, journal: journal}
	return nil
}

// writeAtomic writes a temporary file and renames it over path, so a process
// killed mid-write leaves the previous file intact.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fake-state-*")
	if err != nil {
		return fmt.Errorf("write fake state: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write fake state: %w", err)
	}
	if err := w.Flush(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write fake state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write fake state: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
