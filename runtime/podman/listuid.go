package podman

import (
	"context"
	"regexp"

	"github.com/veloslet/veloslet/runtime"
)

// ListUID lists uid's container alone, as List would show it: a pass over
// one uid (a death the event stream reported) needs no list of the whole
// host. Empty when it is gone.
func (r *Runtime) ListUID(ctx context.Context, uid string) ([]runtime.Instance, error) {
	name := runtime.Name(r.Prefix, uid)
	out, err := r.call(ctx, r.CallTimeout, "ps", "--all", "--format", "json",
		"--filter", "name=^"+regexp.QuoteMeta(name)+"$")
	if err != nil {
		return nil, err
	}
	list, err := ParsePS(out, r.Prefix)
	if err != nil {
		return nil, err
	}
	mine := list[:0]
	for _, in := range list {
		if in.Name == name {
			mine = append(mine, in)
		}
	}
	return mine, nil
}
