package apple

import (
	"fmt"
	"strings"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// The first release of each `container run` flag beyond the 0.1.0 set
// (--env, --env-file, --user, --workdir, --entrypoint, --label, --volume
// for binds, --mount, --tmpfs, --cpus, --memory), read from the flags file
// of each tag: Sources/ContainerClient/Flags.swift up to 0.7.x,
// Sources/Services/ContainerAPIService/Client/Flags.swift from 0.8.0.
var (
	sinceNetwork = semver{0, 2, 0} // --network
	sincePublish = semver{0, 3, 0} // -p/--publish
	// Named volumes came in 0.4.0, but up to 0.5.x `run` fails with
	// "volume 'NAME' not found" unless `container volume create` made it
	// first (Utility.swift@0.4.0); from 0.6.0 run creates it
	// (getOrCreateVolume). veloslet creates no volumes of its own, so a
	// named volume needs 0.6.0.
	sinceNamedVolume = semver{0, 6, 0}
	// Up to 0.7.x the publish parser splits on ':' and has no brackets; from
	// 0.8.0 it reads [v6]:host:container and refuses port 1 (it wants > 1).
	sincePublishIPv6 = semver{0, 8, 0}
	sinceReadOnly    = semver{0, 8, 0}  // --read-only
	sinceInit        = semver{0, 10, 0} // --init
	sinceCaps        = semver{0, 12, 0} // --cap-add, --cap-drop
)

// Labels the apple backend adds so that a stop long after the launch, by a
// veloslet restarted since, still uses the spec's grace and signal: the
// CLI's `run` has no --stop-signal or --stop-timeout (none up to 1.2.2), so
// they apply at `container stop` time, read back from `list` (see stops.go).
const (
	LabelStopSignal  = "velos.stop-signal"  // "SIGTERM"
	LabelStopTimeout = "velos.stop-timeout" // a Go duration, "30s"
)

// needs returns the refusal of a field that release v lacks: an error
// wrapping runtime.ErrInvalid that names the field, the release it needs
// and the one installed. An unknown version is taken as the newest.
func needs(v *semver, since semver, field string) error {
	if !v.less(since) {
		return nil
	}
	return fmt.Errorf("%w: %s: needs container %s or later (installed %s)", runtime.ErrInvalid, field, since, v)
}

// supported refuses a spec that the CLI of version v cannot run as written:
// a field whose flag v lacks, or one no release has (network aliases, a
// log size limit: [logs] max_size, the daemon's, is not applied here). It
// runs before `container run`, so the reason reaches `status` in these
// words rather than as the CLI's usage error.
func supported(spec runtime.RunSpec, v *semver) error {
	if len(spec.NetworkAliases) > 0 {
		return fmt.Errorf("%w: network_aliases: container has no network aliases (no --network-alias up to 1.2.2); "+
			"leave it out and reach the container by its name on the network", runtime.ErrInvalid)
	}
	if spec.LogMaxSize > 0 {
		return fmt.Errorf("%w: log_max_size: container has no log size limit (no --log-opt up to 1.2.2); "+
			"leave it out: the container's log grows until the container is removed", runtime.ErrInvalid)
	}
	checks := []struct {
		on    bool
		since semver
		field string
	}{
		{spec.Network != "", sinceNetwork, "network"},
		{len(spec.Ports) > 0, sincePublish, "ports"},
		{spec.ReadOnly, sinceReadOnly, "read_only"},
		{spec.Init, sinceInit, "init"},
		{len(spec.CapAdd) > 0, sinceCaps, "cap_add"},
		{len(spec.CapDrop) > 0, sinceCaps, "cap_drop"},
	}
	for _, c := range checks {
		if c.on {
			if err := needs(v, c.since, c.field); err != nil {
				return err
			}
		}
	}
	for i, p := range spec.Ports {
		field := fmt.Sprintf("ports[%d] %q", i, p.String())
		if strings.Contains(p.HostIP, ":") {
			if err := needs(v, sincePublishIPv6, field+" (an IPv6 host address)"); err != nil {
				return err
			}
		}
		if (p.HostPort == 1 || p.ContainerPort == 1) && !v.less(sincePublishIPv6) {
			return fmt.Errorf("%w: %s: container %s refuses port 1 (its parser takes ports from 2; since 0.8.0)",
				runtime.ErrInvalid, field, v)
		}
	}
	for i, vol := range spec.Volumes {
		if vol.Kind != vspec.VolumeBind {
			if err := needs(v, sinceNamedVolume, fmt.Sprintf("volumes[%d] %q (a named volume)", i, vol.String())); err != nil {
				return err
			}
		}
	}
	return nil
}

// specArgs maps the spec's fields after image, command, env, cpus, memory
// and labels onto `container run` options, in a fixed order. supported has
// refused what the release lacks. The entrypoint flag takes one string
// (Flags.swift, every tag: `entrypoint: String?`), which becomes the
// process's first word; the rest of a longer entrypoint goes after the
// image, before the command (see tailArgs). Long flag names only: every one
// exists by that name since the release that introduced the field.
func specArgs(spec runtime.RunSpec) []string {
	var args []string
	add := func(flag string, values ...string) {
		for _, v := range values {
			args = append(args, flag, v)
		}
	}
	if len(spec.Entrypoint) > 0 {
		add("--entrypoint", spec.Entrypoint[0])
	}
	if spec.Workdir != "" {
		add("--workdir", spec.Workdir)
	}
	if spec.User != "" {
		add("--user", spec.User)
	}
	for _, p := range spec.Ports {
		add("--publish", p.String())
	}
	for _, vol := range spec.Volumes {
		add("--volume", vol.String())
	}
	add("--tmpfs", spec.Tmpfs...)
	if spec.Network != "" {
		add("--network", spec.Network)
	}
	if spec.ReadOnly {
		args = append(args, "--read-only")
	}
	if spec.Init {
		args = append(args, "--init")
	}
	add("--cap-add", spec.CapAdd...)
	add("--cap-drop", spec.CapDrop...)
	return args
}

// tailArgs is what follows the image: the entrypoint's later words, then
// the command. Parser.process (every tag) runs [--entrypoint] + these
// arguments, and with --entrypoint set never appends the image's cmd, as
// Docker drops it when the entrypoint is overridden.
func tailArgs(spec runtime.RunSpec) []string {
	var out []string
	if len(spec.Entrypoint) > 1 {
		out = append(out, spec.Entrypoint[1:]...)
	}
	return append(out, spec.Command...)
}
