package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/gofrs/flock"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// daemonPID reports whether a process holds the daemon lock of dbPath, and
// its pid as it wrote it. It only tries the lock of an existing file, read
// only, so a read-only verb creates nothing.
func daemonPID(dbPath string) (string, bool) {
	path := lockPath(dbPath)
	if _, err := os.Stat(path); err != nil {
		return "", false
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDONLY))
	ok, err := fl.TryLock()
	if err != nil {
		return "unknown", false
	}
	if ok {
		_ = fl.Unlock()
		return "", false
	}
	return holderPID(path), true
}

// statusHeader is the line above the status table: whether a daemon runs
// and how old the last successful pass is, with a warning when it is older
// than /healthz allows (the daemon is down, stuck or every pass fails).
func (m *Main) statusHeader(ctx context.Context, db *store.DB, now time.Time) (line string, err error) {
	daemon := "no daemon"
	if pid, held := daemonPID(m.Config.Store.Path); held {
		daemon = "daemon pid " + pid
	}
	// The newest pass's error, when it failed: such as Apple's "container
	// service down since …; starting it".
	if last, err := db.LastPass(ctx); err == nil && last.Error != "" {
		defer func() { line += "\nlast pass " + strconv.FormatInt(last.ID, 10) + " failed: " + term(last.Error) }()
	}
	p, err := db.LastSuccessfulPass(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return daemon + "; no successful pass yet", nil
	}
	if err != nil {
		return "", err
	}
	// From its end: a pass that took long still saw the runtime until then.
	age := now.Sub(p.FinishedAt.Time())
	line = fmt.Sprintf("%s; last successful pass %s ago (pass %d)", daemon, shortDuration(age), p.ID)
	if sched, err := supervisor.ParseSchedule(m.Config.Reconcile.Schedule); err == nil {
		first := sched.Next(now)
		// With an event stream a quiet daemon passes only every resync, as
		// /healthz allows: three resyncs, or twice the schedule if longer.
		every := sched.Next(first).Sub(first)
		if limit := max(2*every, 3*time.Duration(m.Config.Reconcile.Resync)); age > limit {
			line += fmt.Sprintf(" — WARNING: older than %s (twice the schedule %s, or three times reconcile.resync)",
				shortDuration(limit), m.Config.Reconcile.Schedule)
		}
	}
	return line, nil
}

// watch redraws the status with draw at every tick until ctx ends: on a
// terminal over the previous frame, elsewhere one frame after another.
func watch(ctx context.Context, w io.Writer, tick <-chan time.Time, draw func(io.Writer) error) error {
	clear := isTerminal(w)
	for {
		var frame bytes.Buffer
		if err := draw(&frame); err != nil {
			return err
		}
		if clear {
			frame = *bytes.NewBuffer(append([]byte("\x1b[H\x1b[2J"), frame.Bytes()...))
		} else {
			frame.WriteString("\n")
		}
		if _, err := w.Write(frame.Bytes()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
