package podman

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// host is what a Runtime learnt of where podman runs its containers, from
// the last `podman version` that answered.
type host struct {
	asking sync.Mutex // one Local asks at a time: workers relaunching at once ask once
	mu     sync.Mutex
	known  bool
	local  bool
}

func (h *host) set(local bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.known, h.local = true, local
}

func (h *host) get() (known, local bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.known, h.local
}

// Local reports whether podman runs its containers on this host, so that the
// times in its events and logs are by this host's clock. Not so for
// podman-remote or a podman machine (a VM with a clock of its own, which
// drifts when the Mac sleeps): `podman version` then has a Server section.
// It asks Version only if no call of it has answered yet (serve calls it at
// start-up); while that fails, the answer is false (the caller then looks
// rather than trusts a time).
func (r *Runtime) Local(ctx context.Context) bool {
	if known, local := r.host.get(); known {
		return local
	}
	r.host.asking.Lock()
	defer r.host.asking.Unlock()
	if known, local := r.host.get(); known {
		return local
	}
	if _, err := r.Version(ctx); err != nil {
		return false
	}
	_, local := r.host.get()
	return local
}

// Version returns podman's version, and notes for Local whether it runs here.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	out, err := r.call(ctx, r.CallTimeout, "version", "--format", "json")
	if err != nil {
		return "", err
	}
	v, local, err := parseVersion(out)
	if err != nil {
		return "", err
	}
	r.host.set(local)
	return v, nil
}

// parseVersion reads `podman version --format json`: the client's version,
// and local when there is no server section.
func parseVersion(out []byte) (version string, local bool, err error) {
	var v struct {
		Client struct{ Version string }
		Server *struct{ Version string }
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Client.Version == "" {
		return "", false, fmt.Errorf("parse podman version: %q", head(out))
	}
	return v.Client.Version, v.Server == nil, nil
}
