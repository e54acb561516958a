package fake

import (
	"context"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.UIDLister = (*Runtime)(nil)

// ListUID lists the container named for uid alone, as List shows it
// (through ListFunc and the faults, so that a flaky list is as flaky here);
// empty when it is gone. Like podman's and docker's, it looks by name: an
// instance of uid under another name is List's alone.
func (r *Runtime) ListUID(ctx context.Context, uid string) ([]runtime.Instance, error) {
	list, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []runtime.Instance
	name := runtime.Name(r.Prefix, uid)
	for _, in := range list {
		if in.UID == uid && in.Name == name {
			out = append(out, in)
		}
	}
	return out, nil
}
