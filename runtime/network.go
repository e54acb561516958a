package runtime

import (
	"context"
	"errors"
)

// NetworkLabel on a spec asks veloslet to create the spec's network before
// its launch and to remove it once no spec carries the label any more. Its
// value is the network's name (the spec's network). The compose importer
// sets it for a project's own networks, never for an external one.
const NetworkLabel = "io.veloslet.network"

// ErrNetworkInUse is returned by RemoveNetwork while a container is attached.
var ErrNetworkInUse = errors.New("network in use")

// NetworkManager is implemented by runtimes that can create user networks
// on which container names and aliases resolve (podman, Docker). It is
// optional: a spec's network on another runtime must exist already.
type NetworkManager interface {
	// EnsureNetwork creates the network with labels if none has the name;
	// an existing one is left as it is. Safe to call concurrently.
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) error
	// RemoveNetwork removes the network: no error if it is gone,
	// ErrNetworkInUse while a container is attached.
	RemoveNetwork(ctx context.Context, name string) error
	// Networks lists the names of the networks labelled key=value.
	Networks(ctx context.Context, key, value string) ([]string, error)
}
