package docker

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.VolumeRemover = (*Runtime)(nil)

// imageVolumes returns the volumes of ours that spec's container mounts
// where its image declares a volume the spec does not mount itself, each
// created (labelled with the uid, the store and the path) when missing.
// Without them the server would make an anonymous volume per container, and
// a replacement would start on an empty one while the data stayed behind in
// a dangling volume. The image is pulled first when the server lacks it,
// since its declared volumes are read before the create.
func (r *Runtime) imageVolumes(ctx context.Context, spec runtime.RunSpec) ([]imageVolume, error) {
	img, err := r.c.ImageInspect(ctx, spec.Image)
	if isMissingImage(err) {
		if err = r.pull(ctx, spec.Image); err != nil {
			return nil, err
		}
		img, err = r.c.ImageInspect(ctx, spec.Image)
	}
	if err != nil {
		return nil, r.translate(err, "inspect image "+spec.Image)
	}
	var declared map[string]struct{}
	if img.Config != nil {
		declared = img.Config.Volumes
	}
	var out []imageVolume
	for _, p := range spec.ImageVolumePaths(runtime.CleanImageVolumes(declared)) {
		v := imageVolume{name: runtime.ImageVolumeName(r.Prefix, spec.UID, p), path: p}
		if err := r.ensureVolume(ctx, v, spec.UID); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ensureVolume creates v unless it exists. Create is not relied on to be
// idempotent: podman's API service refuses a taken name.
func (r *Runtime) ensureVolume(ctx context.Context, v imageVolume, uid string) error {
	_, err := r.c.VolumeInspect(ctx, v.name, client.VolumeInspectOptions{})
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return r.translate(err, "inspect volume "+v.name)
	}
	labels := map[string]string{runtime.LabelUID: uid, runtime.LabelVolumePath: v.path}
	if r.StoreID != "" {
		labels[runtime.LabelStore] = r.StoreID
	}
	_, err = r.c.VolumeCreate(ctx, client.VolumeCreateOptions{Name: v.name, Labels: labels})
	return r.translate(err, "create volume "+v.name)
}

// RemoveVolumes removes uid's image volumes: those named as
// runtime.ImageVolumeName names them under this prefix and, when both say
// so, of this store. No error when there are none.
func (r *Runtime) RemoveVolumes(ctx context.Context, uid string) error {
	ctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	res, err := r.c.VolumeList(ctx, client.VolumeListOptions{Filters: client.Filters{}.Add("label", runtime.LabelUID+"="+uid)})
	if err != nil {
		return r.translate(err, "list volumes")
	}
	for _, v := range res.Items {
		if !runtime.IsImageVolume(r.Prefix, uid, v.Name) {
			continue
		}
		if s := v.Labels[runtime.LabelStore]; s != "" && r.StoreID != "" && s != r.StoreID {
			continue
		}
		if _, err := r.c.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{}); err != nil && !isNotFound(err) {
			return r.translate(err, "remove volume "+v.Name)
		}
	}
	return nil
}
