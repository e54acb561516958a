package main

import (
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// Validate names the first bad key and its value.
func (c *Config) Validate() error {
	bad := func(key string, value any, why string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrConfig, key, quoteValue(value), why)
	}
	rt := c.Runtime
	switch {
	case c.Store.Path == "":
		return bad("store.path", c.Store.Path, "must not be empty")
	case !slices.Contains([]string{"auto", "apple", "podman", "docker", "fake"}, rt.Backend):
		return bad("runtime.backend", rt.Backend, "must be auto, apple, podman, docker or fake")
	case rt.Docker.Host != "" && docker.CheckHost(rt.Docker.Host) != nil:
		return bad("runtime.docker.host", rt.Docker.Host, docker.CheckHost(rt.Docker.Host).Error())
	case !validPrefix(rt.NamePrefix):
		return bad("runtime.name_prefix", rt.NamePrefix, fmt.Sprintf(
			"must be 1 to %d letters, digits, '_', '.' or '-', starting with a letter or digit", store.MaxNamePrefixLen))
	case rt.CallTimeout <= 0:
		return bad("runtime.call_timeout", rt.CallTimeout, "must be positive")
	case rt.RunTimeout <= 0:
		return bad("runtime.run_timeout", rt.RunTimeout, "must be positive")
	case rt.StopTimeout <= 0:
		return bad("runtime.stop_timeout", rt.StopTimeout, "must be positive")
	case rt.Apple.Poll <= 0:
		return bad("runtime.apple.poll", rt.Apple.Poll, "must be positive")
	case rt.Apple.PollMax < rt.Apple.Poll:
		return bad("runtime.apple.poll_max", rt.Apple.PollMax, fmt.Sprintf("must be at least runtime.apple.poll (%s)", time.Duration(rt.Apple.Poll)))
	case rt.Apple.KernelInstall != apple.KernelInstallDisable && rt.Apple.KernelInstall != apple.KernelInstallEnable:
		return bad("runtime.apple.kernel_install", rt.Apple.KernelInstall, "must be disable or enable")
	case rt.Fake.Latency < 0:
		return bad("runtime.fake.latency", rt.Fake.Latency, "must not be negative")
	case c.Reconcile.Concurrency < 1 || c.Reconcile.Concurrency > 256:
		return bad("reconcile.concurrency", c.Reconcile.Concurrency, "must be between 1 and 256")
	case c.Reconcile.WatchInterval <= 0:
		return bad("reconcile.watch_interval", c.Reconcile.WatchInterval, "must be positive")
	case c.Reconcile.Resync < 0:
		return bad("reconcile.resync", c.Reconcile.Resync, "must not be negative (\"0s\": a pass on every cron tick)")
	case c.Reconcile.ShutdownTimeout <= 0:
		return bad("reconcile.shutdown_timeout", c.Reconcile.ShutdownTimeout, "must be positive")
	case c.Retention.EventsMaxAge < 0 || c.Retention.PassesMaxAge < 0:
		return bad("retention.*_max_age", c.Retention.EventsMaxAge, "must not be negative")
	case c.Retention.EventsMaxRows < 0:
		return bad("retention.events_max_rows", c.Retention.EventsMaxRows, "must not be negative")
	case c.Retention.PassesMaxRows < 0:
		return bad("retention.passes_max_rows", c.Retention.PassesMaxRows, "must not be negative")
	case c.Backup.Keep < 1:
		return bad("backup.keep", c.Backup.Keep, "must be at least 1")
	case c.HTTP.HealthMaxAge < 0:
		return bad("http.health_max_age", c.HTTP.HealthMaxAge, "must not be negative (\"0s\": three schedule intervals, at least 1m)")
	case c.HTTP.Listen != "" && !c.HTTP.AllowRemote && !isLoopback(c.HTTP.Listen):
		return bad("http.listen", c.HTTP.Listen, "is not a loopback address; set http.allow_remote = true to serve other hosts")
	case !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level):
		return bad("log.level", c.Log.Level, "must be debug, info, warn or error")
	case !slices.Contains([]string{"text", "json"}, c.Log.Format):
		return bad("log.format", c.Log.Format, "must be text or json")
	case c.Logs.TailLines < 0 || c.Logs.TailLines > 100_000:
		return bad("logs.tail_lines", c.Logs.TailLines, "must be between 0 (keep none) and 100000")
	case c.Logs.MaxBytes < 1024 || c.Logs.MaxBytes > 16<<20:
		return bad("logs.max_bytes", c.Logs.MaxBytes, "must be between 1024 and 16777216")
	case c.Logs.Timeout <= 0 || time.Duration(c.Logs.Timeout) > time.Minute:
		// A relaunch of an exited instance waits for this read (a start in
		// place on podman does not, but its record does).
		return bad("logs.timeout", c.Logs.Timeout, "must be positive and at most 1m (a relaunch waits for it)")
	case c.Logs.Keep < 1:
		return bad("logs.keep", c.Logs.Keep, "must be at least 1")
	case c.Logs.MaxSize != 0 && c.Logs.MaxSize < 64<<10:
		return bad("logs.max_size", c.Logs.MaxSize, "must be 0 (the runtime's default, no limit) or at least 65536")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return bad("http.listen", c.HTTP.Listen, "want host:port, e.g. 127.0.0.1:9469")
		}
	}
	for _, kv := range [][2]string{{"reconcile.schedule", c.Reconcile.Schedule}, {"retention.schedule", c.Retention.Schedule},
		{"backup.schedule", c.Backup.Schedule}} {
		if kv[0] == "backup.schedule" && kv[1] == "" {
			continue
		}
		sched, err := supervisor.ParseSchedule(kv[1])
		if err != nil {
			return bad(kv[0], kv[1], "not a cron spec: "+oneLine(err.Error()))
		}
		// cron accepts dates that never come ("0 0 30 2 *") and then never
		// fires; a yearly job is the rarest that makes sense here.
		if now := time.Now(); !firesWithin(sched, now, maxScheduleGap) {
			return bad(kv[0], kv[1], fmt.Sprintf("does not fire within %d days (is the date impossible?)", maxScheduleGap/(24*time.Hour)))
		}
	}
	for _, kv := range []struct {
		key string
		v   float64
	}{{"restart.jitter", c.Restart.Jitter}, {"reconcile.brake_share", c.Reconcile.BrakeShare}} {
		if math.IsNaN(kv.v) || math.IsInf(kv.v, 0) {
			// NaN fails every comparison, so range checks alone let it through.
			return bad(kv.key, kv.v, "must be a finite number")
		}
	}
	if err := c.Policy().Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return c.Fleet.validate()
}

// maxScheduleGap is the longest a schedule may go without firing: a year and
// a day, so that a yearly job on any date passes.
const maxScheduleGap = 367 * 24 * time.Hour

// firesWithin reports whether sched fires at least once in the gap after
// now; robfig/cron returns the zero time for a schedule that never fires.
func firesWithin(sched cron.Schedule, now time.Time, gap time.Duration) bool {
	next := sched.Next(now)
	return !next.IsZero() && next.Sub(now) <= gap
}

func quoteValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case Duration:
		return fmt.Sprintf("%q", time.Duration(v).String())
	}
	return fmt.Sprint(v)
}

func validPrefix(p string) bool {
	if p == "" || len(p) > store.MaxNamePrefixLen {
		return false
	}
	for i, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && strings.ContainsRune("_.-", r))
		if !ok {
			return false
		}
	}
	return true
}
