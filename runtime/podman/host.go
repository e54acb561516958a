package podman

import (
	"context"
	"encoding/json"
	"sync"
)

// host is what a Runtime learnt of where podman runs its containers.
type host struct {
	mu    sync.Mutex
	known bool
	local bool
}

// Local reports whether podman runs its containers on this host, so that the
// times in its events and logs are by this host's clock. Not so for
// podman-remote or a podman machine (a VM with a clock of its own, which
// drifts when the Mac sleeps): `podman version` then has a Server section.
// Asked once; while the question fails, the answer is false (the caller then
// looks rather than trusts a time).
func (r *Runtime) Local(ctx context.Context) bool {
	r.host.mu.Lock()
	defer r.host.mu.Unlock()
	if !r.host.known {
		out, err := r.call(ctx, r.CallTimeout, "version", "--format", "json")
		local, ok := parseLocal(out)
		if err != nil || !ok {
			return false
		}
		r.host.known, r.host.local = true, local
	}
	return r.host.local
}

// parseLocal reads `podman version --format json`: local when it has a
// client and no server.
func parseLocal(out []byte) (local, ok bool) {
	var v struct {
		Client *struct{ Version string }
		Server *struct{ Version string }
	}
	if json.Unmarshal(out, &v) != nil || v.Client == nil {
		return false, false
	}
	return v.Server == nil, true
}
