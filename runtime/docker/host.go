package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"github.com/moby/moby/client"
)

// DefaultHost is the Docker Engine's own socket on Linux, and the one
// Docker Desktop and OrbStack link on macOS.
const DefaultHost = "unix:///var/run/docker.sock"

// Candidates returns the API sockets looked for when no host is configured
// and DOCKER_HOST is unset, most usual first: the engine's own, then where
// rootless Docker, Docker Desktop, OrbStack, Colima and Rancher Desktop put
// theirs. (The docker CLI's contexts are not read.)
func Candidates(goos, home, xdgRuntime string) []string {
	out := []string{DefaultHost}
	switch goos {
	case "linux":
		if xdgRuntime != "" {
			out = append(out, "unix://"+filepath.Join(xdgRuntime, "docker.sock"))
		}
	case "darwin":
		for _, p := range [][]string{
			{".docker", "run", "docker.sock"},     // Docker Desktop
			{".orbstack", "run", "docker.sock"},   // OrbStack
			{".colima", "default", "docker.sock"}, // Colima, profile "default"
			{".rd", "docker.sock"},                // Rancher Desktop
		} {
			out = append(out, "unix://"+filepath.Join(append([]string{home}, p...)...))
		}
	}
	return out
}

// Resolve returns the host to use for a configured one (returned as is),
// else DOCKER_HOST, else the first candidate socket that answers a ping
// within timeout; answered says whether it answered. When none answers it
// returns the first candidate whose socket file exists, else DefaultHost,
// so that a server started later is found at the usual place.
func Resolve(ctx context.Context, configured string, timeout time.Duration) (host string, answered bool) {
	if configured != "" {
		return configured, ping(ctx, configured, timeout)
	}
	if h := os.Getenv(client.EnvOverrideHost); h != "" {
		return h, ping(ctx, "", timeout)
	}
	home, _ := os.UserHomeDir()
	cands := Candidates(goruntime.GOOS, home, os.Getenv("XDG_RUNTIME_DIR"))
	for _, h := range cands {
		if sockExists(h) && ping(ctx, h, timeout) {
			return h, true
		}
	}
	for _, h := range cands {
		if sockExists(h) {
			return h, false
		}
	}
	return DefaultHost, false
}

func sockExists(host string) bool {
	u, err := client.ParseHostURL(host)
	if err != nil || u.Scheme != "unix" {
		return false
	}
	fi, err := os.Stat(u.Host)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// ping reports whether the server at host ("": from the environment)
// answers within timeout.
func ping(ctx context.Context, host string, timeout time.Duration) bool {
	r, err := New(host)
	if err != nil {
		return false
	}
	defer func() { _ = r.Close() }()
	r.CallTimeout = timeout
	return r.Ping(ctx) == nil
}

// CheckHost refuses a host the client cannot use, naming why.
func CheckHost(host string) error {
	u, err := client.ParseHostURL(host)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "unix", "tcp":
		return nil
	}
	return fmt.Errorf("scheme %q: want unix:// or tcp://", u.Scheme)
}
