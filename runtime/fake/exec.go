package fake

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Execer = (*Runtime)(nil)

// ExecResult is what an exec inside a simulated container answers: a
// health probe's outcome, set with SetExec.
type ExecResult struct {
	Code   int    `json:"code"`
	Output string `json:"output,omitempty"`
	// Hang makes the exec block until its ctx ends, as a probe into a
	// container that is alive but frozen does.
	Hang bool `json:"hang,omitempty"`

	sleep time.Duration
}

// defaultExec is what a simulated container answers when no result is
// set, as a busybox would: false exits 1, echo prints its arguments, sleep
// N sleeps (for N seconds), anything else exits 0.
func defaultExec(cmd []string) ExecResult {
	switch cmd[0] {
	case "false":
		return ExecResult{Code: 1}
	case "echo":
		return ExecResult{Output: strings.Join(cmd[1:], " ") + "\n"}
	case "sleep":
		if len(cmd) > 1 {
			if s, err := strconv.ParseFloat(cmd[1], 64); err == nil && s > 0 {
				return ExecResult{sleep: time.Duration(s * float64(time.Second))}
			}
		}
	}
	return ExecResult{}
}

// SetExec makes every exec in uid's current container answer res until the
// container starts again (in place or anew), as a restarted process would.
// It is kept in the state file, so every process sharing it sees it
// (`veloslet fake exec-result`). Returns runtime.ErrNotFound if uid has no
// container.
func (r *Runtime) SetExec(uid string, res ExecResult) error {
	name := runtime.Name(r.Prefix, uid)
	return r.b.update(func(st *state) error {
		c, ok := st.Containers[name]
		if !ok {
			return fmt.Errorf("set exec %s: %w", uid, runtime.ErrNotFound)
		}
		c = c.clone()
		c.Exec = &res
		st.put(c)
		return nil
	})
}

func (r *Runtime) container(uid string) (Container, bool) {
	var c Container
	var ok bool
	_ = r.b.view(func(st *state) {
		c, ok = st.Containers[runtime.Name(r.Prefix, uid)]
		c = c.clone()
	})
	return c, ok
}

// Exec answers as SetExec said for uid's running container, else as
// defaultExec does. Returns runtime.ErrNotFound if uid has no container and
// runtime.ErrNotRunning if it has exited.
func (r *Runtime) Exec(ctx context.Context, uid string, cmd []string, out io.Writer) (int, error) {
	if r.ExecFunc != nil {
		return r.ExecFunc(ctx, uid, cmd, out)
	}
	if err := runtime.CheckExec(uid, cmd); err != nil {
		return -1, err
	}
	res := defaultExec(cmd)
	err := r.call(ctx, "exec", func() error {
		c, ok := r.container(uid)
		switch {
		case !ok:
			return fmt.Errorf("exec %s: %w", uid, runtime.ErrNotFound)
		case c.State != runtime.StateRunning:
			return fmt.Errorf("exec %s: %w", uid, runtime.ErrNotRunning)
		}
		if c.Exec != nil {
			res = *c.Exec
		}
		return nil
	})
	if err != nil {
		return -1, err
	}
	if res.Hang || res.sleep > 0 {
		var done <-chan time.Time // nil: a hang never ends by itself
		if !res.Hang {
			t := time.NewTimer(res.sleep)
			defer t.Stop()
			done = t.C
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("exec %s in %s: %w", cmd[0], uid, ctx.Err())
		case <-done:
		}
	}
	if res.Output != "" {
		if _, err := io.WriteString(out, res.Output); err != nil {
			return -1, err
		}
	}
	return res.Code, nil
}
