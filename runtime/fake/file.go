package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// update applies fn to the state under the mutex and, when file-backed, under
// an exclusive file lock with the file reloaded first and rewritten after, so
// that several processes see one host.
func (b *backend) update(fn func(*state) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer func() { b.st.sorted = nil }() // fn may change any container
	if b.path == "" {
		return fn(&b.st)
	}
	unlock, err := b.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := b.load(); err != nil {
		return err
	}
	if err := fn(&b.st); err != nil {
		return err
	}
	return b.save()
}

// view runs fn over a fresh copy of the state without writing it.
func (b *backend) view(fn func(*state)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.path != "" {
		unlock, err := b.lock()
		if err != nil {
			return err
		}
		defer unlock()
		if err := b.load(); err != nil {
			return err
		}
	}
	fn(&b.st)
	return nil
}

func (b *backend) lock() (func(), error) {
	l := flock.New(b.path + ".lock")
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("lock fake state %s: %w", b.path, err)
	}
	return func() { _ = l.Unlock() }, nil
}

func (b *backend) load() error {
	data, err := os.ReadFile(b.path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(data) == 0) {
		b.st = state{Containers: map[string]Container{}}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read fake state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("read fake state %s: %w", b.path, err)
	}
	if st.Containers == nil {
		st.Containers = map[string]Container{}
	}
	b.st = st
	return nil
}

// save writes the state to a temporary file and renames it over the old one,
// so a process killed mid-write leaves the previous state intact.
func (b *backend) save() error {
	data, err := json.MarshalIndent(b.st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(b.path), ".fake-state-*")
	if err != nil {
		return fmt.Errorf("write fake state: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write fake state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write fake state: %w", err)
	}
	return os.Rename(tmp.Name(), b.path)
}
