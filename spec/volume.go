package spec

import (
	"fmt"
	"regexp"
	"strings"
)

// VolumeKind tells a named volume from a bind mount.
type VolumeKind string

// Volume kinds.
const (
	VolumeNamed VolumeKind = "named" // a volume the runtime keeps, by name
	VolumeBind  VolumeKind = "bind"  // a host path
)

// Volume mounts a named volume or a host path into the container:
// "NAME:/PATH[:ro]" or "/HOST/PATH:/PATH[:ro]".
type Volume struct {
	Source   string // the volume name, or an absolute host path
	Target   string // an absolute path in the container
	ReadOnly bool
	Kind     VolumeKind
}

// volumeNamePattern is what podman and Docker accept as a volume name.
var volumeNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// MaxVolumeNameLen bounds a volume name (Docker and podman take more; 255
// keeps a name inside one path component of the runtime's volume folder).
const MaxVolumeNameLen = 255

// String writes the volume as ParseVolume reads it.
func (v Volume) String() string {
	s := v.Source + ":" + v.Target
	if v.ReadOnly {
		s += ":ro"
	}
	return s
}

// MarshalText writes String.
func (v Volume) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses with ParseVolume.
func (v *Volume) UnmarshalText(b []byte) error {
	p, err := ParseVolume(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseVolume reads "NAME:/PATH[:ro|rw]" (a named volume) or
// "/HOST:/PATH[:ro|rw]" (a bind mount). A refusal is a *ValidationError
// naming the field "volumes".
func ParseVolume(s string) (Volume, error) {
	bad := func(reason string) (Volume, error) {
		return Volume{}, &ValidationError{Field: "volumes", Value: quote(s), Reason: reason}
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bad("want NAME:/PATH[:ro] or /HOST/PATH:/PATH[:ro] (no ':' inside a path)")
	}
	v := Volume{Source: parts[0], Target: parts[1], Kind: VolumeNamed}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			v.ReadOnly = true
		case "rw":
		default:
			return bad("the third part must be ro or rw")
		}
	}
	if strings.HasPrefix(v.Source, "/") {
		v.Kind = VolumeBind
	}
	if err := v.checkParts(); err != nil {
		return bad(err.Error())
	}
	return v, nil
}

func (v Volume) checkParts() error {
	switch {
	case v.Kind == VolumeBind:
		if err := checkPath(v.Source); err != nil {
			return fmt.Errorf("host path %s", err)
		}
	case v.Kind != VolumeNamed:
		return fmt.Errorf("kind %q must be named or bind", v.Kind)
	case v.Source == "":
		return fmt.Errorf("the volume name or host path is empty")
	case strings.HasPrefix(v.Source, ".") || strings.HasPrefix(v.Source, "~") || strings.Contains(v.Source, "/"):
		return fmt.Errorf("a bind mount's host path must be absolute (start with '/'); a volume name has no '/'")
	case len(v.Source) > MaxVolumeNameLen || !volumeNamePattern.MatchString(v.Source):
		return fmt.Errorf("volume name %q must be letters, digits, '_', '.' or '-', starting with a letter or digit, at most %d", v.Source, MaxVolumeNameLen)
	}
	if err := checkPath(v.Target); err != nil {
		return fmt.Errorf("container path %s", err)
	}
	return nil
}

// check refuses a Volume built by hand that ParseVolume would not return.
func (v Volume) check() error {
	p, err := ParseVolume(v.String())
	if err != nil {
		return err
	}
	if p != v {
		return &ValidationError{Field: "volumes", Value: quote(v.String()), Reason: fmt.Sprintf("kind %q does not match the source", v.Kind)}
	}
	return nil
}

// checkPath accepts an absolute path that a runtime's mount option cannot
// misread: no ':' or ',' (option separators), no '..', no NUL or control
// character.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q must be absolute (start with '/')", p)
	case len(p) > 4096:
		return fmt.Errorf("is longer than 4096 bytes")
	case strings.ContainsAny(p, ":,"):
		return fmt.Errorf("%q must not contain ':' or ','", p)
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("%q contains a control character or NUL", p)
		}
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return fmt.Errorf("%q must not contain '..'", p)
		}
	}
	return nil
}
