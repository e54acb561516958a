package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// DefaultSystemdWatchdog is the WatchdogSec of the printed unit: serve pings
// at half of it, and systemd restarts a daemon whose loop stopped answering.
const DefaultSystemdWatchdog = 60 * time.Second

// systemdUnit holds what the printed unit needs; the template below is the
// whole unit, so a reader sees every directive in one place.
type systemdUnit struct {
	User        bool
	ExecStart   string
	StopTimeout int // seconds
	Watchdog    int // seconds
}

func (m *Main) systemdCommand() *cobra.Command {
	var user bool
	var binary string
	cmd := &cobra.Command{
		Use:   "systemd",
		Short: "Print a systemd unit that runs veloslet serve (see docs/systemd.md)",
		Long: `Print a systemd service unit (Type=notify) that runs "veloslet serve": a
system unit by default (root podman, or the docker backend), or with --user a
unit for the user's own manager (rootless podman; enable lingering so it starts
at boot). serve reports READY=1 after its first pass, STATUS= after each pass,
STOPPING=1 on shutdown and pings the watchdog. Paths are made absolute; the
global --config is passed on.`,
		Example: `  veloslet --config /etc/veloslet/veloslet.toml systemd > /etc/systemd/system/veloslet.service
  systemctl daemon-reload && systemctl enable --now veloslet

  veloslet --config ~/.config/veloslet/veloslet.toml systemd --user > ~/.config/systemd/user/veloslet.service
  loginctl enable-linger "$USER" && systemctl --user daemon-reload && systemctl --user enable --now veloslet`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if goruntime.GOOS == "darwin" {
				return usagef("systemd units are for Linux; on macOS run \"veloslet launchd\" (see docs/launchd.md)")
			}
			u, err := m.systemdUnit(user, binary)
			if err != nil {
				return err
			}
			return writeUnit(cmd.OutOrStdout(), u)
		},
	}
	cmd.Flags().BoolVar(&user, "user", false, "a unit for the user's systemd manager (systemctl --user) instead of the system's")
	cmd.Flags().StringVar(&binary, "binary", "", "path of veloslet (default: this executable)")
	return cmd
}

func (m *Main) systemdUnit(user bool, binary string) (*systemdUnit, error) {
	args, err := m.serviceArgs(binary)
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		// systemd splits ExecStart on whitespace and expands % and $: a path
		// with those would start something else than was printed.
		if strings.ContainsAny(a, " \t\n\"'\\%$;") {
			return nil, usagef("path %q: contains a character a systemd unit would read specially; move it or pass --binary", a)
		}
	}
	// TimeoutStopSec outlasts serve's own shutdown wait, so systemd never
	// SIGKILLs a daemon that is finishing its pass.
	stop := int(m.Config.Reconcile.ShutdownTimeout.seconds()) + 15
	return &systemdUnit{
		User: user, ExecStart: strings.Join(append(args, "serve"), " "),
		StopTimeout: stop, Watchdog: int(DefaultSystemdWatchdog / time.Second),
	}, nil
}

func writeUnit(w io.Writer, u *systemdUnit) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p("[Unit]")
	p("Description=veloslet container supervisor")
	if !u.User {
		// The runtime's service and the network come first, so the start-up
		// pass finds them; podman.socket matters only to the docker backend.
		p("Wants=network-online.target")
		p("After=network-online.target podman.socket docker.service")
	}
	p("")
	p("[Service]")
	p("Type=notify")
	p("NotifyAccess=main")
	p("ExecStart=%s", u.ExecStart)
	p("ExecReload=/bin/kill -HUP $MAINPID")
	// Containers outlive the daemon (the next start adopts them): only
	// serve itself is signalled, never podman's conmon processes beside it.
	p("KillMode=process")
	p("Restart=on-failure")
	p("RestartSec=5s")
	p("# Exit 2 is a usage or config error: restarting cannot fix it.")
	p("RestartPreventExitStatus=2")
	p("TimeoutStopSec=%d", u.StopTimeout)
	p("WatchdogSec=%d", u.Watchdog)
	if !u.User {
		// Hardening that leaves podman working: it writes /etc/containers,
		// /etc/cni, /var/lib/containers and /run, and needs its setuid helpers.
		p("ProtectSystem=true")
		p("ProtectKernelModules=true")
		p("ProtectClock=true")
		p("LimitNOFILE=65536")
	}
	p("")
	p("[Install]")
	if u.User {
		p("WantedBy=default.target")
	} else {
		p("WantedBy=multi-user.target")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// serviceArgs is how a service manager starts veloslet, before the verb: the
// binary (this executable unless given) and the global --config, both
// absolute, since launchd and systemd start jobs from another folder.
func (m *Main) serviceArgs(binary string) ([]string, error) {
	if binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this executable: %w (pass --binary)", err)
		}
		binary = exe
	}
	bin, err := filepath.Abs(binary)
	if err != nil {
		return nil, usageError{err}
	}
	args := []string{bin}
	if m.ConfigPath != "" {
		cfg, err := filepath.Abs(m.ConfigPath)
		if err != nil {
			return nil, usageError{err}
		}
		args = append(args, "--config", cfg)
	}
	return args, nil
}
