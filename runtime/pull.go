package runtime

import "context"

type pullKey struct{}

// WithPullStarted returns a context for Run (or Start) whose runtime calls
// fn when it begins fetching an image the host does not have: a pull can
// take minutes, and the operator should see that the launch is pulling
// rather than hung.
func WithPullStarted(ctx context.Context, fn func(image string)) context.Context {
	return context.WithValue(ctx, pullKey{}, fn)
}

// PullStarted tells the caller that set WithPullStarted on ctx, if any,
// that image is being pulled. Backends that pull as a separate step call
// it; those whose run command pulls on its own cannot.
func PullStarted(ctx context.Context, image string) {
	if fn, ok := ctx.Value(pullKey{}).(func(string)); ok && fn != nil {
		fn(image)
	}
}
