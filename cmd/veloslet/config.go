package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// ErrConfig is wrapped by every configuration error (exit code 2).
var ErrConfig = errors.New("config")

// Defaults that belong to the command, not to a package.
const (
	DefaultCallTimeout     = 30 * time.Second
	DefaultRunTimeout      = 5 * time.Minute
	DefaultStopTimeout     = 10 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultRetention       = "@hourly"
	DefaultEventsMaxAge    = 30 * 24 * time.Hour
	DefaultEventsMaxRows   = 100_000
	DefaultPassesMaxAge    = 7 * 24 * time.Hour
	DefaultPassesMaxRows   = 50_000
	DefaultBackupKeep      = 7
	// DefaultLogMaxSize bounds each container's log file on podman and
	// Docker ([logs] max_size): a crash loop must not fill the disk.
	DefaultLogMaxSize = 10 << 20
)

// Config is veloslet's configuration file.
//
// NOTE: update config.example.toml (which a test loads) when changing this type.
type Config struct {
	Store     StoreConfig     `toml:"store"`
	Runtime   RuntimeConfig   `toml:"runtime"`
	Reconcile ReconcileConfig `toml:"reconcile"`
	Restart   RestartConfig   `toml:"restart"`
	Retention RetentionConfig `toml:"retention"`
	Backup    BackupConfig    `toml:"backup"`
	HTTP      HTTPConfig      `toml:"http"`
	Log       LogConfig       `toml:"log"`
	Fleet     FleetConfig     `toml:"fleet"`
	Logs      LogsConfig      `toml:"logs"`
}

// LogsConfig bounds the output kept of an exited instance (the logs table).
type LogsConfig struct {
	TailLines int      `toml:"tail_lines"` // 0: keep none
	MaxBytes  int      `toml:"max_bytes"`
	Timeout   Duration `toml:"timeout"`
	Keep      int      `toml:"keep"` // per uid
	// MaxSize bounds each container's log file, in bytes, on podman and
	// Docker; 0: the runtime's own default (unbounded on both).
	MaxSize int64 `toml:"max_size"`
}

// LogCapture returns the supervisor's bounds the config describes.
func (c *Config) LogCapture() supervisor.LogCapture {
	l := c.Logs
	return supervisor.LogCapture{TailLines: l.TailLines, MaxBytes: l.MaxBytes, Timeout: time.Duration(l.Timeout), Keep: l.Keep}
}

// BackupConfig schedules VACUUM INTO snapshots of the database.
type BackupConfig struct {
	Schedule string `toml:"schedule"` // cron spec; empty: no scheduled backups
	Dir      string `toml:"dir"`      // default: "backups" beside the database
	Keep     int    `toml:"keep"`     // newest snapshots kept in Dir
}

// HTTPConfig serves /metrics and /healthz.
type HTTPConfig struct {
	Listen      string `toml:"listen"` // host:port; empty: no server
	AllowRemote bool   `toml:"allow_remote"`
	// HealthMaxAge is how old the last successful pass may be before
	// /healthz says 503; 0: derived from the schedule (HealthMaxAge).
	HealthMaxAge Duration `toml:"health_max_age"`
}

// HealthMaxAge returns [http] health_max_age, or when it is 0 three
// intervals of the schedule (at least a minute), and at least three resync
// intervals when events stand in for cron passes.
func (c *Config) HealthMaxAge(schedule string, resync time.Duration, now time.Time) (time.Duration, error) {
	if c.HTTP.HealthMaxAge > 0 {
		return time.Duration(c.HTTP.HealthMaxAge), nil
	}
	maxAge, err := supervisor.HealthMaxAge(schedule, now)
	return max(maxAge, 3*resync), err
}

// StoreConfig locates the database.
type StoreConfig struct {
	Path string `toml:"path"`
}

// RuntimeConfig selects and tunes the container runtime.
type RuntimeConfig struct {
	Backend     string   `toml:"backend"` // auto, apple, podman, docker, fake
	NamePrefix  string   `toml:"name_prefix"`
	CallTimeout Duration `toml:"call_timeout"`
	RunTimeout  Duration `toml:"run_timeout"`
	StopTimeout Duration `toml:"stop_timeout"`
	// AdoptUnlabeled: serve's start-up pass adopts label-less instances of desired uids.
	AdoptUnlabeled bool         `toml:"adopt_unlabeled"`
	Apple          AppleConfig  `toml:"apple"`
	Podman         BinaryConfig `toml:"podman"`
	Docker         DockerConfig `toml:"docker"`
	Fake           FakeConfig   `toml:"fake"`
}

// DockerConfig locates a Docker Engine API server.
type DockerConfig struct {
	Host string `toml:"host"` // unix:// or tcp://; empty: DOCKER_HOST, then the usual sockets
}

// BinaryConfig names a runtime's CLI.
type BinaryConfig struct {
	Binary string `toml:"binary"`
}

// AppleConfig names Apple's CLI and paces the poll that stands in for its
// missing event stream (runtime/apple/watch.go).
type AppleConfig struct {
	Binary  string   `toml:"binary"`
	Poll    Duration `toml:"poll"`
	PollMax Duration `toml:"poll_max"`
	// StartService: run `container system start` when the service is down
	// (runtime/apple/service.go); unset means on macOS only.
	StartService  *bool  `toml:"start_service"`
	KernelInstall string `toml:"kernel_install"` // disable or enable
}

// startService resolves StartService's platform default.
func (c AppleConfig) startService() bool {
	if c.StartService == nil {
		return goruntime.GOOS == "darwin"
	}
	return *c.StartService
}

// FakeConfig tunes the simulated runtime.
type FakeConfig struct {
	StateFile string   `toml:"state_file"`
	Latency   Duration `toml:"latency"`
}

// ReconcileConfig tunes passes.
type ReconcileConfig struct {
	Schedule        string   `toml:"schedule"`
	Concurrency     int      `toml:"concurrency"`
	WatchInterval   Duration `toml:"watch_interval"`
	BrakeShare      float64  `toml:"brake_share"`
	BrakeMin        int      `toml:"brake_min"`
	BrakeHold       Duration `toml:"brake_hold"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	Resync          Duration `toml:"resync"`
}

// RestartConfig is the restart and back-off policy.
type RestartConfig struct {
	BackoffInitial Duration `toml:"backoff_initial"`
	BackoffMax     Duration `toml:"backoff_max"`
	BackoffReset   Duration `toml:"backoff_reset"`
	Jitter         float64  `toml:"jitter"`
	MaxAttempts    int      `toml:"max_attempts"`
	CrashLoopAfter int      `toml:"crash_loop_after"`
}

// RetentionConfig bounds the history tables.
type RetentionConfig struct {
	Schedule      string   `toml:"schedule"`
	EventsMaxAge  Duration `toml:"events_max_age"`
	EventsMaxRows int      `toml:"events_max_rows"`
	PassesMaxAge  Duration `toml:"passes_max_age"`
	PassesMaxRows int      `toml:"passes_max_rows"`
}

// LogConfig selects the log handler.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text, json
}

// Duration is a time.Duration written as a string ("30s") in TOML.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\" or \"5m\"", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// DefaultConfig returns the configuration with every default filled in.
func DefaultConfig() Config {
	pol := supervisor.DefaultPolicy()
	return Config{
		Store: StoreConfig{Path: DefaultDBPath()},
		Runtime: RuntimeConfig{
			Backend: "auto", NamePrefix: runtime.DefaultNamePrefix,
			CallTimeout: Duration(DefaultCallTimeout), RunTimeout: Duration(DefaultRunTimeout),
			StopTimeout: Duration(DefaultStopTimeout),
			Apple: AppleConfig{Binary: "container", Poll: Duration(apple.DefaultPoll), PollMax: Duration(apple.DefaultPollMax),
				KernelInstall: apple.KernelInstallDisable},
			Podman: BinaryConfig{Binary: "podman"},
		},
		Reconcile: ReconcileConfig{
			Schedule: supervisor.DefaultSchedule, Concurrency: supervisor.DefaultConcurrency,
			WatchInterval: Duration(supervisor.DefaultWatchInterval),
			BrakeShare:    pol.BrakeShare, BrakeMin: pol.BrakeMin, BrakeHold: Duration(pol.BrakeHold),
			ShutdownTimeout: Duration(DefaultShutdownTimeout), Resync: Duration(supervisor.DefaultResync),
		},
		Restart: RestartConfig{
			BackoffInitial: Duration(pol.BackoffInitial), BackoffMax: Duration(pol.BackoffMax),
			BackoffReset: Duration(pol.BackoffReset), Jitter: pol.Jitter,
			MaxAttempts: pol.MaxAttempts, CrashLoopAfter: pol.CrashLoopAfter,
		},
		Retention: RetentionConfig{
			Schedule:     DefaultRetention,
			EventsMaxAge: Duration(DefaultEventsMaxAge), EventsMaxRows: DefaultEventsMaxRows,
			PassesMaxAge: Duration(DefaultPassesMaxAge), PassesMaxRows: DefaultPassesMaxRows,
		},
		Backup: BackupConfig{Keep: DefaultBackupKeep},
		Log:    LogConfig{Level: "info", Format: "text"},
		Fleet:  defaultFleetConfig(),
		Logs: LogsConfig{TailLines: supervisor.DefaultLogTailLines, MaxBytes: supervisor.DefaultLogMaxBytes,
			Timeout: Duration(supervisor.DefaultLogTimeout), Keep: supervisor.DefaultLogKeep, MaxSize: DefaultLogMaxSize},
	}
}

// DefaultDBPath is the per-OS default: the user's Application Support folder
// on macOS, the XDG state folder on Linux.
func DefaultDBPath() string {
	home, _ := os.UserHomeDir()
	if goruntime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "veloslet", "veloslet.db")
	}
	state := os.Getenv("XDG_STATE_HOME")
	if state == "" || !filepath.IsAbs(state) {
		state = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(state, "veloslet", "veloslet.db")
}

// ParseConfig overlays the TOML in r on the defaults and validates the result.
func ParseConfig(r io.Reader) (Config, error) {
	cfg := DefaultConfig()
	md, err := toml.NewDecoder(r).Decode(&cfg)
	if err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrConfig, tomlError(err))
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		return cfg, fmt.Errorf("%w: %s", ErrConfig, unknownKey(keys[0], reflect.TypeOf(cfg)))
	}
	if err := checkTOMLKeys(md, reflect.TypeOf(cfg)); err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return cfg, cfg.Validate()
}

// ReadConfigFile reads and validates the config file at path.
func ReadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	defer func() { _ = f.Close() }()
	cfg, err := ParseConfig(f)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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

// Policy returns the supervisor policy the config describes.
func (c *Config) Policy() supervisor.Policy {
	r, rc := c.Restart, c.Reconcile
	return supervisor.Policy{
		BackoffInitial: time.Duration(r.BackoffInitial), BackoffMax: time.Duration(r.BackoffMax),
		BackoffReset: time.Duration(r.BackoffReset), Jitter: r.Jitter,
		MaxAttempts: r.MaxAttempts, CrashLoopAfter: r.CrashLoopAfter,
		BrakeShare: rc.BrakeShare, BrakeMin: rc.BrakeMin, BrakeHold: time.Duration(rc.BrakeHold),
	}
}

func (d Duration) seconds() float64 { return time.Duration(d).Seconds() }

// isLoopback reports whether host:port names only this machine.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
