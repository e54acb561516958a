package fake

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Logger = (*Runtime)(nil)

// MaxOutputLines bounds what a simulated container keeps of its output, as
// a runtime's log rotation would.
const MaxOutputLines = 10_000

// A simulated container runs no process, so its output is what it is given:
// a container whose command is `echo ARG…` prints its arguments when it
// starts, and Print adds lines, as a test or `veloslet fake print` says.

// startOutput is what a container launched with command prints at start.
func startOutput(command []string) []string {
	if len(command) > 0 && command[0] == "echo" {
		return []string{strings.Join(command[1:], " ")}
	}
	return nil
}

// Print appends lines to uid's container output. Returns runtime.ErrNotFound
// if there is no such container.
func (r *Runtime) Print(uid string, lines ...string) error {
	name := runtime.Name(r.Prefix, uid)
	return r.b.update(func(st *state) error {
		c, ok := st.Containers[name]
		if !ok {
			return fmt.Errorf("print %s: %w", name, runtime.ErrNotFound)
		}
		c = c.clone()
		c.Output = append(c.Output, lines...)
		if extra := len(c.Output) - MaxOutputLines; extra > 0 {
			c.Output = slices.Clone(c.Output[extra:])
		}
		st.put(c)
		return nil
	})
}

// Logs writes the output of the container with id (or that name), the last
// opts.Tail lines of it if set. With opts.Follow it goes on writing new
// lines until the container stops or ctx ends. Returns runtime.ErrNotFound
// if there is no such container.
func (r *Runtime) Logs(ctx context.Context, id runtime.InstanceID, opts runtime.LogOptions, w io.Writer) error {
	var sent int
	for first := true; ; first = false {
		var out []string
		var running, found bool
		err := r.call(ctx, "logs", func() error {
			return r.b.view(func(st *state) {
				for _, c := range st.inOrder() {
					if c.ID == string(id) || c.Name == string(id) {
						out, running, found = slices.Clone(c.Output), c.State == runtime.StateRunning, true
						return
					}
				}
			})
		})
		switch {
		case err != nil:
			return err
		case !found && first:
			return fmt.Errorf("logs %s: %w", id, runtime.ErrNotFound)
		case !found:
			return nil // removed while followed
		}
		if first && opts.Tail > 0 && len(out) > opts.Tail {
			sent = len(out) - opts.Tail
		}
		if sent > len(out) {
			sent = 0 // relaunched under the same name: a new output
		}
		for _, l := range out[sent:] {
			if _, err := io.WriteString(w, l+"\n"); err != nil {
				return err
			}
		}
		sent = len(out)
		if !opts.Follow || !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond): // the simulation has no file to wait on
		}
	}
}
