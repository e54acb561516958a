package podman

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.NetworkManager = (*Runtime)(nil)

// EnsureNetwork creates a bridge network (podman enables its DNS, dnsname
// under CNI or aardvark under netavark, so names resolve on it) unless one
// has the name. A concurrent create of the same name is not an error.
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	if _, err := r.call(ctx, r.CallTimeout, "network", "exists", name); err == nil {
		return nil
	}
	args := []string{"network", "create"}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--label", k+"="+labels[k])
	}
	_, err := r.call(ctx, r.CallTimeout, append(args, "--", name)...)
	if err != nil && strings.Contains(stderrOf(err), "already exists") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create network %s: %w", name, err)
	}
	return nil
}

// RemoveNetwork removes the network; gone is fine, attached is ErrNetworkInUse.
func (r *Runtime) RemoveNetwork(ctx context.Context, name string) error {
	_, err := r.call(ctx, r.CallTimeout, "network", "rm", "--", name)
	switch msg := stderrOf(err); {
	case err == nil, strings.Contains(msg, "network not found"), strings.Contains(msg, "no such network"):
		return nil
	case strings.Contains(msg, "being used") || strings.Contains(msg, "in use"):
		return fmt.Errorf("%w: %s: %w", runtime.ErrNetworkInUse, name, err)
	}
	return fmt.Errorf("remove network %s: %w", name, err)
}

// Networks lists the networks labelled key=value.
func (r *Runtime) Networks(ctx context.Context, key, value string) ([]string, error) {
	out, err := r.call(ctx, r.CallTimeout, "network", "ls", "--noheading", "--filter", "label="+key+"="+value, "--format", "{{.Name}}")
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

func stderrOf(err error) string {
	var ce *cli.Error
	if errors.As(err, &ce) {
		return ce.Stderr
	}
	return ""
}
