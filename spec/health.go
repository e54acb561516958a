package spec

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// HealthAction is what veloslet does with an instance its probe finds
// unhealthy.
type HealthAction string

// Health actions.
const (
	HealthRestart  HealthAction = "restart"  // stop it and start it again (in place where the runtime can)
	HealthRecreate HealthAction = "recreate" // remove it and run a fresh container
	HealthNone     HealthAction = "none"     // report only
)

// Health check defaults, as Docker's HEALTHCHECK has them.
const (
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthRetries  = 3
	// MinHealthInterval bounds how often a probe may run.
	MinHealthInterval = 100 * time.Millisecond
)

// HealthCheck is a spec's [spec.health]: one probe, run by veloslet. It is
// not part of the spec hash: a probe changes nothing in the container, so
// changing it replaces no instance.
type HealthCheck struct {
	// Exactly one of Cmd (run inside the container), HTTP (a GET from the
	// host; 2xx and 3xx are healthy) and TCP (a connect from the host).
	Cmd  []string `json:"cmd,omitempty" toml:"cmd"`
	HTTP string   `json:"http,omitempty" toml:"http"`
	TCP  string   `json:"tcp,omitempty" toml:"tcp"`

	Interval Duration `json:"interval,omitempty" toml:"interval"` // 0: DefaultHealthInterval
	Timeout  Duration `json:"timeout,omitempty" toml:"timeout"`   // 0: DefaultHealthTimeout
	// Retries is how many failures in a row make the instance unhealthy.
	Retries int `json:"retries,omitempty" toml:"retries"` // 0: DefaultHealthRetries
	// StartPeriod: failures within it of the instance's start do not
	// count; the first success ends it.
	StartPeriod Duration     `json:"start_period,omitempty" toml:"start_period"`
	OnFailure   HealthAction `json:"on_failure,omitempty" toml:"on_failure"` // "": restart
}

// Kind names the probe: "cmd", "http" or "tcp".
func (h HealthCheck) Kind() string {
	switch {
	case len(h.Cmd) > 0:
		return "cmd"
	case h.HTTP != "":
		return "http"
	}
	return "tcp"
}

// WithDefaults returns h with its zero settings filled in.
func (h HealthCheck) WithDefaults() HealthCheck {
	if h.Interval == 0 {
		h.Interval = Duration(DefaultHealthInterval)
	}
	if h.Timeout == 0 {
		h.Timeout = Duration(DefaultHealthTimeout)
	}
	if h.Retries == 0 {
		h.Retries = DefaultHealthRetries
	}
	if h.OnFailure == "" {
		h.OnFailure = HealthRestart
	}
	return h
}

// Validate names the first bad setting, as health.FIELD.
func (h HealthCheck) Validate() error {
	bad := func(field, value, why string) error {
		return &ValidationError{Field: "health." + field, Value: value, Reason: why}
	}
	set := 0
	for _, on := range []bool{len(h.Cmd) > 0, h.HTTP != "", h.TCP != ""} {
		if on {
			set++
		}
	}
	if set != 1 {
		return bad("cmd", "", fmt.Sprintf("exactly one of health.cmd, health.http and health.tcp must be set, not %d", set))
	}
	switch {
	case len(h.Cmd) > 0:
		if h.Cmd[0] == "" {
			return bad("cmd", quote(strings.Join(h.Cmd, " ")), "must name a program")
		}
		for _, a := range h.Cmd {
			if strings.ContainsRune(a, 0) {
				return bad("cmd", quote(a), "contains a NUL byte")
			}
		}
	case h.HTTP != "":
		u, err := url.Parse(h.HTTP)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("http", quote(h.HTTP), "want an http:// or https:// URL with a host, such as \"http://127.0.0.1:8080/healthz\"")
		}
	default:
		if _, port, err := net.SplitHostPort(h.TCP); err != nil || port == "" {
			return bad("tcp", quote(h.TCP), "want host:port, such as \"127.0.0.1:5432\"")
		}
	}
	switch {
	case h.Interval != 0 && time.Duration(h.Interval) < MinHealthInterval:
		return bad("interval", quote(h.Interval.String()), fmt.Sprintf("must be at least %s", MinHealthInterval))
	case h.Timeout < 0:
		return bad("timeout", quote(h.Timeout.String()), "must not be negative")
	case h.Retries < 0:
		return bad("retries", fmt.Sprint(h.Retries), "must not be negative")
	case h.StartPeriod < 0:
		return bad("start_period", quote(h.StartPeriod.String()), "must not be negative")
	}
	switch h.OnFailure {
	case "", HealthRestart, HealthRecreate, HealthNone:
	default:
		return bad("on_failure", quote(string(h.OnFailure)), "want restart, recreate or none")
	}
	return nil
}
