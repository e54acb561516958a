package apple

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/veloslet/veloslet/runtime"
)

// Up to 0.9 `container run` keeps both entries when the spec's env sets a
// variable the image's env sets too (Parser.allEnv appends the lists), and
// the image's wins inside the container; 0.10.0 dedups, the later source
// winning. A spec env value must never lose silently, and the image's env
// is known only once the image is pulled, so on those releases Run looks
// at what it launched: if a spec key is there twice, it removes the
// container and fails with ErrInvalid naming the keys.

// envOverrideFixed is the first release whose `run` lets the spec's env
// override the image's.
var envOverrideFixed = semver{0, 10, 0}

// checkEnv inspects name's environment for spec keys set twice.
func (r *Runtime) checkEnv(ctx context.Context, name string, env map[string]string, v *semver) error {
	out, err := r.call(ctx, r.CallTimeout, "inspect", name)
	if err != nil {
		return fmt.Errorf("inspect %s for its env: %w", name, err)
	}
	var objs []struct {
		Configuration struct {
			InitProcess struct {
				Environment []string `json:"environment"`
			} `json:"initProcess"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(out, &objs); err != nil || len(objs) != 1 {
		return fmt.Errorf("inspect %s for its env: %d objects (%v)", name, len(objs), err)
	}
	seen := map[string]int{}
	for _, kv := range objs[0].Configuration.InitProcess.Environment {
		k, _, _ := strings.Cut(kv, "=")
		seen[k]++
	}
	var twice []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if seen[k] > 1 {
			twice = append(twice, k)
		}
	}
	if len(twice) == 0 {
		return nil
	}
	return fmt.Errorf("%w: env %s: the image sets it too, and container %s keeps the image's value (fixed in %s): upgrade the CLI or use another name",
		runtime.ErrInvalid, strings.Join(twice, ", "), v, envOverrideFixed)
}
