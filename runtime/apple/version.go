package apple

import (
	"fmt"
	"regexp"
	"strconv"
)

// semver is the CLI's version; the zero value means "unknown", which builds
// with empty version fields print, and is treated as the newest.
type semver struct{ major, minor, patch int }

var versionPattern = regexp.MustCompile(`version\s+(\d+)\.(\d+)(?:\.(\d+))?`)

// parseVersion reads `container --version` output such as
// "container CLI version 1.2.2 (build: release, commit: 0190097)".
func parseVersion(s string) semver {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return semver{}
	}
	var v semver
	v.major, _ = strconv.Atoi(m[1])
	v.minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.patch, _ = strconv.Atoi(m[3])
	}
	return v
}

func (v semver) known() bool { return v != semver{} }

// less reports whether v is older than w; an unknown version is never older.
func (v *semver) less(w semver) bool {
	if v == nil || !v.known() {
		return false
	}
	if v.major != w.major {
		return v.major < w.major
	}
	if v.minor != w.minor {
		return v.minor < w.minor
	}
	return v.patch < w.patch
}

func (v semver) String() string {
	if !v.known() {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}
