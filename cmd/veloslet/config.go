package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
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
