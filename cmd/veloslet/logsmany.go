package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
)

// logReader reads the live output of uids: the runtime is opened once and
// shared by every uid of one `logs` call, so several can be followed at once.
type logReader struct {
	db     *store.DB // nil when there is no database to name the instances
	lg     runtime.Logger
	prefix string
}

func (m *Main) openLogReader(ctx context.Context, opts runtime.LogOptions) (*logReader, error) {
	r := &logReader{prefix: m.Config.Runtime.NamePrefix}
	storeID := ""
	if db, err := m.openDBRead(ctx); err == nil {
		r.db, storeID = db, db.StoreID()
	}
	rt, _, err := m.openRuntime(storeID)
	if err != nil {
		return nil, err
	}
	lg, ok := rt.(runtime.Logger)
	if !ok {
		return nil, fmt.Errorf("the %T runtime keeps no output", rt)
	}
	if err := timedLogs(rt, opts); err != nil {
		return nil, err
	}
	r.lg = lg
	return r, nil
}

// manyLogs prints the output of each uid (live, or with previous > 0 what
// was kept of its previous-th last exit), every line led by the uid as
// docker compose does. Without --follow the uids come one after another;
// with it all are followed at once until interrupted. A uid that fails does
// not stop the others: the errors are returned together at the end.
func (m *Main) manyLogs(ctx context.Context, w io.Writer, uids []string, opts runtime.LogOptions, previous int) error {
	width := 0
	for _, uid := range uids {
		width = max(width, len(uid))
	}
	out := &lockedLines{w: w}
	writer := func(uid string) io.Writer { return prefixedLines{out, fmt.Sprintf("%-*s | ", width, uid)} }
	errs := make([]error, len(uids))
	if previous > 0 {
		for i, uid := range uids {
			errs[i] = m.previousLogs(ctx, writer(uid), uid, previous, opts.Tail, false)
		}
		return errors.Join(errs...)
	}
	r, err := m.openLogReader(ctx, opts)
	if err != nil {
		return err
	}
	if !opts.Follow {
		for i, uid := range uids {
			errs[i] = r.read(ctx, writer(uid), uid, opts)
		}
		return errors.Join(errs...)
	}
	var wg sync.WaitGroup
	for i, uid := range uids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.read(ctx, writer(uid), uid, opts)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lockedLines is one output shared by several writers of whole lines.
type lockedLines struct {
	mu sync.Mutex
	w  io.Writer
}

// prefixedLines puts prefix before what it is given. termWriter hands it
// one whole line per Write, so lines of several uids never interleave.
type prefixedLines struct {
	out    *lockedLines
	prefix string
}

func (p prefixedLines) Write(b []byte) (int, error) {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	if _, err := io.WriteString(p.out.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
