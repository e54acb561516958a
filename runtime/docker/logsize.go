package docker

import (
	"context"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
)

// sizedDrivers are the log drivers that take a max-size option: Docker's
// json-file and local, podman's k8s-file (its service names it so). The
// others (journald, syslog, none, …) keep no file of ours to bound, and
// Docker refuses a create that gives them an option they do not know.
// Podman 4's service names no driver in its info (""); podman takes
// max-size whatever the driver, and ignores it where it has no file.
var sizedDrivers = map[string]bool{"json-file": true, "local": true, "k8s-file": true, "": true}

// logConfig returns the log settings of a create: the server's default
// driver, bounded to the spec's log_max_size (else LogMaxSize) bytes when
// that driver keeps a file (Docker's max-file stays 1: the file is cut, not
// rotated into copies). The driver is asked once, from the server's info;
// until that succeeds nothing is set, so a create never fails for it.
func (r *Runtime) logConfig(ctx context.Context, spec runtime.RunSpec) container.LogConfig {
	size := r.LogMaxSize
	if spec.LogMaxSize > 0 {
		size = int64(spec.LogMaxSize)
	}
	if size <= 0 {
		return container.LogConfig{}
	}
	r.driverMu.Lock()
	defer r.driverMu.Unlock()
	if !r.driverKnown {
		info, err := r.c.Info(ctx, client.InfoOptions{})
		if err != nil {
			return container.LogConfig{}
		}
		r.driver, r.driverKnown = info.Info.LoggingDriver, true
	}
	if !sizedDrivers[r.driver] {
		return container.LogConfig{}
	}
	return sizedLogConfig(size)
}

// sizedLogConfig is the log settings that bound the file to size bytes.
func sizedLogConfig(size int64) container.LogConfig {
	return container.LogConfig{Config: map[string]string{"max-size": strconv.FormatInt(size, 10)}}
}
