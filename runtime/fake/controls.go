package fake

import (
	"fmt"

	"github.com/veloslet/veloslet/runtime"
)

// The host's own hand: what a test or the demo does to the simulated host
// from outside veloslet (a container exits, is put in place, is read).

// SetExited makes uid's container exit with code, as if its process ended.
// Returns runtime.ErrNotFound if there is no such container.
func (r *Runtime) SetExited(uid string, code int) error {
	name := runtime.Name(r.Prefix, uid)
	return r.b.update(func(st *state) error {
		c, ok := st.Containers[name]
		if !ok {
			return fmt.Errorf("exit %s: %w", name, runtime.ErrNotFound)
		}
		setExited(&c, code)
		st.put(c)
		return nil
	})
}

// Containers returns every container on the fake host, ours or not, by name.
func (r *Runtime) Containers() ([]Container, error) {
	var out []Container
	err := r.b.view(func(st *state) {
		for _, c := range st.inOrder() {
			out = append(out, c.clone())
		}
	})
	return out, err
}

// Put places a container on the fake host as is, for tests that need one
// veloslet did not launch (started by hand, or by another store).
func (r *Runtime) Put(c Container) error {
	return r.b.update(func(st *state) error {
		if _, ok := st.Containers[c.Name]; ok {
			return fmt.Errorf("put %s: %w", c.Name, runtime.ErrExists)
		}
		if c.ID == "" {
			st.NextID++
			c.ID = fmt.Sprintf("fake-%06d", st.NextID)
		}
		if c.State == "" {
			c.State = runtime.StateRunning
		}
		st.put(c.clone())
		return nil
	})
}

func setExited(c *Container, code int) {
	c.State = runtime.StateExited
	c.ExitCode = &code
}
