package main

import (
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/spf13/cobra"
	"howett.net/plist"
)

// Defaults for the launchd job.
const (
	DefaultLaunchdLabel = "io.veloslet.serve"
	// launchdPath is the PATH the job gets: launchd starts jobs with a minimal
	// one, without the folders where Apple's installer and Homebrew put CLIs.
	launchdPath = "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin"
	// launchdThrottle is the least time between two starts of a job that exits.
	launchdThrottle = 10
)

// launchdJob is the plist of a LaunchAgent or LaunchDaemon running serve.
type launchdJob struct {
	Label                string            `plist:"Label"`
	ProgramArguments     []string          `plist:"ProgramArguments"`
	RunAtLoad            bool              `plist:"RunAtLoad"`
	KeepAlive            launchdKeepAlive  `plist:"KeepAlive"`
	ThrottleInterval     int               `plist:"ThrottleInterval"`
	ExitTimeOut          int               `plist:"ExitTimeOut"`
	ProcessType          string            `plist:"ProcessType"`
	EnvironmentVariables map[string]string `plist:"EnvironmentVariables"`
	StandardOutPath      string            `plist:"StandardOutPath"`
	StandardErrorPath    string            `plist:"StandardErrorPath"`
	UserName             string            `plist:"UserName,omitempty"`
}

// launchdKeepAlive is KeepAlive's dictionary form. SuccessfulExit false:
// launchd starts the job again when it exits non-zero (a crash, a failed
// start: exit 1 or 2, at most once per ThrottleInterval) and leaves it
// stopped after a clean exit 0 (serve stopped by SIGTERM on purpose). The
// boolean form, true, restarted it after every exit.
type launchdKeepAlive struct {
	SuccessfulExit bool `plist:"SuccessfulExit"`
}

func (m *Main) launchdCommand() *cobra.Command {
	var daemon bool
	var targetOS string
	var label, binary, user, logPath string
	cmd := &cobra.Command{
		Use:   "launchd",
		Short: "Print a launchd plist that runs veloslet serve (see docs/launchd.md)",
		Long: `Print a LaunchAgent (default: runs as you, in your login session, where
"container system start" registers the container service) or, with --daemon, a
LaunchDaemon plist that runs "veloslet serve". A LaunchDaemon can start the
container service only as root (then with root's own images and containers):
with --user it runs in the system domain, where a non-root user cannot register
it. Paths are made absolute; the global --config is passed on. See docs/launchd.md.`,
		Example: `  veloslet --config ~/.config/veloslet/veloslet.toml launchd > ~/Library/LaunchAgents/io.veloslet.serve.plist
  launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/io.veloslet.serve.plist`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if targetOS != "darwin" {
				return usagef("launchd runs jobs on macOS; on %s run \"veloslet systemd\" (see docs/systemd.md), or pass --os darwin to print a plist for a Mac", targetOS)
			}
			job, err := m.launchdJob(daemon, label, binary, user, logPath)
			if err != nil {
				return err
			}
			return writePlist(cmd.OutOrStdout(), job)
		},
	}
	cmd.Flags().StringVar(&targetOS, "os", goruntime.GOOS, "the system the plist is for: darwin (another value is refused)")
	cmd.Flags().BoolVar(&daemon, "daemon", false, "a LaunchDaemon (system domain) instead of a LaunchAgent")
	cmd.Flags().Bool("agent", true, "a LaunchAgent, in the user's domain (the default)")
	cmd.Flags().StringVar(&label, "label", DefaultLaunchdLabel, "the job's label")
	cmd.Flags().StringVar(&binary, "binary", "", "path of veloslet (default: this executable)")
	cmd.Flags().StringVar(&user, "user", "", "with --daemon: the user to run as (UserName)")
	cmd.Flags().StringVar(&logPath, "log", "", "stdout and stderr file (default ~/Library/Logs/veloslet.log, or /var/log/veloslet.log with --daemon)")
	cmd.MarkFlagsMutuallyExclusive("agent", "daemon")
	return cmd
}

func (m *Main) launchdJob(daemon bool, label, binary, user, logPath string) (*launchdJob, error) {
	if label == "" {
		return nil, usagef("--label must not be empty")
	}
	if user != "" && !daemon {
		return nil, usagef("--user is for --daemon: an agent runs as the user who loads it")
	}
	args, err := m.serviceArgs(binary)
	if err != nil {
		return nil, err
	}
	args = append(args, "serve")
	if logPath == "" {
		logPath = "/var/log/veloslet.log"
		if !daemon {
			home, _ := os.UserHomeDir()
			logPath = filepath.Join(home, "Library", "Logs", "veloslet.log") // launchd creates files, not folders
		}
	}
	if logPath, err = filepath.Abs(logPath); err != nil {
		return nil, usageError{err}
	}
	// ExitTimeOut outlasts serve's own shutdown wait, so launchd never
	// SIGKILLs a daemon that is finishing its pass.
	exitTimeout := int(m.Config.Reconcile.ShutdownTimeout.seconds()) + 10
	return &launchdJob{
		Label: label, ProgramArguments: args, RunAtLoad: true, KeepAlive: launchdKeepAlive{SuccessfulExit: false},
		ThrottleInterval: launchdThrottle, ExitTimeOut: exitTimeout, ProcessType: "Standard",
		EnvironmentVariables: map[string]string{"PATH": launchdPath},
		StandardOutPath:      logPath, StandardErrorPath: logPath, UserName: user,
	}, nil
}

func writePlist(w io.Writer, job *launchdJob) error {
	b, err := plist.MarshalIndent(job, plist.XMLFormat, "\t")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
