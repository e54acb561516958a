package podman

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
)

var _ runtime.VolumeRemover = (*Runtime)(nil)

// imageVolumes returns the volumes of ours that spec's container mounts
// where its image declares a volume the spec does not mount itself, each
// created (labelled with the uid, the store and the path) when missing.
// Without them podman would make an anonymous volume per container, and a
// replacement would start on an empty one: the data would stay behind,
// unreachable, in a dangling volume. The image is pulled first if the host
// lacks it, since its declared volumes are read before the run.
func (r *Runtime) imageVolumes(ctx context.Context, spec runtime.RunSpec) ([]imageVolume, error) {
	declared, err := r.declaredVolumes(ctx, spec.Image)
	if err != nil {
		return nil, err
	}
	var out []imageVolume
	for _, p := range spec.ImageVolumePaths(declared) {
		v := imageVolume{name: runtime.ImageVolumeName(r.Prefix, spec.UID, p), path: p}
		if err := r.ensureVolume(ctx, v, spec.UID); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// declaredVolumes reads the paths image declares as volumes, pulling it
// when the host does not have it (told by `image exists`' exit code).
func (r *Runtime) declaredVolumes(ctx context.Context, image string) ([]string, error) {
	out, err := r.inspectVolumes(ctx, image)
	if err == nil {
		return out, nil
	}
	if _, xerr := r.call(ctx, r.CallTimeout, "image", "exists", "--", image); xerr == nil {
		return nil, fmt.Errorf("podman image inspect %s: %w", image, err)
	} else if ce := (*cli.Error)(nil); !errors.As(xerr, &ce) || ce.ExitCode != 1 {
		return nil, xerr
	}
	runtime.PullStarted(ctx, image)
	if _, err := r.call(ctx, r.RunTimeout, "pull", "--quiet", "--", image); err != nil {
		return nil, err
	}
	return r.inspectVolumes(ctx, image)
}

func (r *Runtime) inspectVolumes(ctx context.Context, image string) ([]string, error) {
	out, err := r.call(ctx, r.CallTimeout, "image", "inspect", "--format", "{{json .Config.Volumes}}", "--", image)
	if err != nil {
		return nil, err
	}
	var vols map[string]struct{}
	if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &vols); err != nil {
		return nil, fmt.Errorf("podman image inspect %s: read volumes: %w", image, err)
	}
	return runtime.CleanImageVolumes(vols), nil
}

// ensureVolume creates v unless it exists (by `volume exists`' exit code).
func (r *Runtime) ensureVolume(ctx context.Context, v imageVolume, uid string) error {
	_, err := r.call(ctx, r.CallTimeout, "volume", "exists", v.name)
	var ce *cli.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ce) || ce.ExitCode != 1:
		return err
	}
	args := []string{"volume", "create", "--label", runtime.LabelUID + "=" + uid, "--label", runtime.LabelVolumePath + "=" + v.path}
	if r.StoreID != "" {
		args = append(args, "--label", runtime.LabelStore+"="+r.StoreID)
	}
	_, err = r.call(ctx, r.CallTimeout, append(args, v.name)...)
	return err
}

// volumeListing is one volume of `podman volume ls --format json`.
type volumeListing struct {
	Name   string            `json:"Name"`
	Labels map[string]string `json:"Labels"`
}

// RemoveVolumes removes uid's image volumes: those named as
// runtime.ImageVolumeName names them under this prefix and, when both say
// so, of this store. No error when there are none.
func (r *Runtime) RemoveVolumes(ctx context.Context, uid string) error {
	out, err := r.call(ctx, r.CallTimeout, "volume", "ls", "--format", "json", "--filter", "label="+runtime.LabelUID+"="+uid)
	if err != nil {
		return err
	}
	var list []volumeListing
	if err := json.Unmarshal(out, &list); err != nil {
		return fmt.Errorf("podman volume ls: %w", err)
	}
	var names []string
	for _, v := range list {
		if !runtime.IsImageVolume(r.Prefix, uid, v.Name) {
			continue
		}
		if s := v.Labels[runtime.LabelStore]; s != "" && r.StoreID != "" && s != r.StoreID {
			continue
		}
		names = append(names, v.Name)
	}
	if len(names) == 0 {
		return nil
	}
	_, err = r.call(ctx, r.CallTimeout, append([]string{"volume", "rm", "--"}, names...)...)
	return err
}
