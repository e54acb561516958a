package fake

import (
	"context"

	"github.com/veloslet/veloslet/runtime"
)

// ListUID lists uid's container alone, as List shows it (through ListFunc
// and the faults, so that a flaky list is as flaky here); empty when it is
// gone.
func (r *Runtime) ListUID(ctx context.Context, uid string) ([]runtime.Instance, error) {
	list, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []runtime.Instance
	for _, in := range list {
		if in.UID == uid {
			out = append(out, in)
		}
	}
	return out, nil
}
