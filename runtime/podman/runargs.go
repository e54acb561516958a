package podman

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// runOptions are what a launch adds to the spec: the env flags (values
// outside argv), the log bound, the backend's default grace and the volumes
// kept for the image's declared paths.
type runOptions struct {
	envFlags     []string
	logMax       int64         // > 0 bounds the log file, unless the spec sets its own
	stop         time.Duration // the grace when the spec sets none
	imageVolumes []imageVolume
}

// logMax is the log file's bound of a launch: the spec's log_max_size,
// else the backend's [logs] max_size; 0: none.
func logMax(spec runtime.RunSpec, o runOptions) int64 {
	if spec.LogMaxSize > 0 {
		return int64(spec.LogMaxSize)
	}
	return o.logMax
}

// imageVolume is one volume of ours mounted where the image declares one.
type imageVolume struct{ name, path string }

// runArgs builds `podman run`: options first, each as one "--flag=value"
// argument so that no value can be read as a flag of its own; everything
// after the image (after "--" too) goes to the container. The values were
// checked by spec.Validate and RunSpec.Check; none reaches a shell.
func runArgs(name string, spec runtime.RunSpec, o runOptions) []string {
	args := []string{"run", "--detach", "--name", name}
	labels := spec.AllLabels()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		args = append(args, "--label", k+"="+labels[k])
	}
	args = append(args, o.envFlags...)
	if n := logMax(spec, o); n > 0 {
		args = append(args, "--log-opt", "max-size="+strconv.FormatInt(n, 10))
	}
	if spec.CPUs > 0 {
		args = append(args, "--cpus", strconv.FormatFloat(spec.CPUs, 'f', -1, 64))
	}
	if spec.Memory > 0 {
		args = append(args, "--memory", strconv.FormatInt(int64(spec.Memory), 10)+"b")
	}
	args = append(args, containerFlags(spec.Container, o)...)
	args = append(args, "--", spec.Image)
	return append(args, spec.Command...)
}

// containerFlags maps the spec's fields after the first six onto podman's
// flags. The grace is always set on the container (the spec's, else the
// backend's), so that `podman stop` and `podman rm` without -t use it with
// the container's own stop signal: whoever stops it, a pass or an
// operator's podman, stops it as the spec says.
func containerFlags(c vspec.Container, o runOptions) []string {
	var args []string
	add := func(flag, v string) { args = append(args, "--"+flag+"="+v) }
	if len(c.Entrypoint) > 0 {
		// podman reads a JSON array as the entrypoint's argv (a plain
		// string would be one program name): no shell splits it.
		b, _ := json.Marshal(c.Entrypoint)
		add("entrypoint", string(b))
	}
	if c.Workdir != "" {
		add("workdir", c.Workdir)
	}
	if c.User != "" {
		add("user", c.User)
	}
	for _, p := range c.Ports {
		add("publish", p.String())
	}
	for _, v := range c.Volumes {
		add("volume", v.String())
	}
	for _, v := range o.imageVolumes {
		add("volume", v.name+":"+v.path)
	}
	for _, t := range c.Tmpfs {
		add("tmpfs", t)
	}
	if c.Network != "" {
		add("network", c.Network)
	}
	for _, a := range c.NetworkAliases {
		add("network-alias", a)
	}
	if c.StopSignal != "" {
		add("stop-signal", c.StopSignal)
	}
	grace := time.Duration(c.StopTimeout)
	if grace == 0 {
		grace = o.stop
	}
	add("stop-timeout", strconv.Itoa(int(max(grace, 0)/time.Second)))
	if c.Init {
		args = append(args, "--init")
	}
	if c.ReadOnly {
		args = append(args, "--read-only")
	}
	for _, k := range c.CapAdd {
		add("cap-add", k)
	}
	for _, k := range c.CapDrop {
		add("cap-drop", k)
	}
	return args
}
