package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"slices"
	"strings"
)

// VolumeRemover is implemented by runtimes that keep the volumes an image
// declares (its anonymous volumes) under names of their own, so that a
// replacement or a relaunch finds the data again (see ImageVolumeName).
// Those volumes outlive every container of the uid; the supervisor removes
// them when the spec is deleted, after the instance itself.
type VolumeRemover interface {
	// RemoveVolumes removes uid's image volumes (ImageVolumeName under the
	// backend's prefix). No error when there are none. A volume still in use
	// by a container fails the call.
	RemoveVolumes(ctx context.Context, uid string) error
}

// LabelVolumePath marks a volume veloslet made for a path the image
// declares: its value is that path.
const LabelVolumePath = "velos.volume-path"

// ImageVolumeName returns the name of the volume that keeps uid's data at
// path, a volume the image declares and the spec does not mount:
// "<prefix><uid>-<12 hex digits of the path's SHA-256>". The same uid, prefix
// and path always give the same name, so a replacing container mounts the
// volume its predecessor wrote.
func ImageVolumeName(prefix, uid, path string) string {
	sum := sha256.Sum256([]byte(path))
	return prefix + uid + "-" + hex.EncodeToString(sum[:6])
}

// IsImageVolume reports whether name is one of uid's image volumes under
// prefix. The fixed-length suffix keeps uid "a" from claiming uid
// "a-0123456789ab"'s volumes.
func IsImageVolume(prefix, uid, name string) bool {
	return imageVolumePattern(prefix, uid).MatchString(name)
}

func imageVolumePattern(prefix, uid string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(prefix+uid) + `-[0-9a-f]{12}$`)
}

// ImageVolumePaths returns the paths among declared (an image's volumes)
// that s does not mount itself with a volume, a bind or a tmpfs: each needs
// a volume of ours. Sorted, so the run is the same whatever order the image
// lists them in.
func (s RunSpec) ImageVolumePaths(declared []string) []string {
	mounted := make(map[string]bool, len(s.Volumes)+len(s.Tmpfs))
	for _, v := range s.Volumes {
		mounted[path.Clean(v.Target)] = true
	}
	for _, t := range s.Tmpfs {
		mounted[path.Clean(t)] = true
	}
	var out []string
	for _, p := range declared {
		if p != "" && !mounted[p] && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// CleanImageVolumes returns the paths of an image's declared volumes
// (Config.Volumes) that a mount option can carry, cleaned. A path it leaves
// out (relative, or with ':' or ',') gets the runtime's anonymous volume as
// before: removed with its container, not carried over.
func CleanImageVolumes(declared map[string]struct{}) []string {
	out := make([]string, 0, len(declared))
	for p := range declared {
		c := path.Clean(p)
		if !strings.HasPrefix(c, "/") || c == "/" || strings.ContainsAny(c, ":,\x00\n") {
			continue
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
