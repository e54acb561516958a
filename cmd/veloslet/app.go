package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // a runtime or database failure
	ExitUsage   = 2 // bad flags, arguments, config or input
)

// EnvConfig names the config file when --config is not given.
const EnvConfig = "VELOSLET_CONFIG"

// usageError marks an error as the caller's (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Main holds what one invocation builds. Tests set fields before Execute.
type Main struct {
	Config     Config
	ConfigPath string
	DBPath     string // --db, overriding the config

	DB         *store.DB
	Runtime    runtime.Runtime
	Supervisor *supervisor.Supervisor
	Logger     *slog.Logger

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StopSignals restores default signal handling; serve calls it once the
	// first SIGTERM or SIGINT arrived.
	StopSignals func()
	// Ticker, if set, replaces time.NewTicker for `status --watch` (tests).
	Ticker func(time.Duration) (<-chan time.Time, func())

	ownDB    bool // DB was opened here, and is closed here
	passJSON bool // reconcile and restart print their pass as JSON
	// applied holds the outcome of the last apply, for apply --wait.
	applied []store.ApplyResult
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, StopSignals: func() {}}
}

// Execute runs the command line and returns the exit code. Errors are
// printed as one line on stderr.
func (m *Main) Execute(ctx context.Context, args []string) int {
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	err := root.ExecuteContext(ctx)
	if cerr := m.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close database: %w", cerr)
	}
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(m.Stderr, "veloslet: %s\n", term(oneLine(err.Error())))
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	var ce commandExit
	switch {
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &ue), errors.Is(err, ErrConfig), errors.Is(err, ErrSpecFile),
		errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound), errors.Is(err, errLocked), errors.Is(err, store.ErrInUse),
		errors.Is(err, errNoRuntime):
		return ExitUsage
	}
	return ExitFailure
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "veloslet",
		Short: "A per-machine container supervisor backed by SQLite",
		Long: `veloslet keeps the desired set of container instances in a SQLite file and
reconciles it with what the container runtime lists: it launches what is missing,
relaunches what crashed, replaces what drifted and removes orphans.

Run "veloslet serve" as the daemon; the other verbs work on the same database
file, with or without a running daemon.`,
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					return usagef("unknown command %q: did you mean %s? (see veloslet --help)", args[0], strings.Join(s, " or "))
				}
				return usagef("unknown command %q (see veloslet --help)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := m.loadConfig(); err != nil {
				return err
			}
			m.noteDefaults(cmd)
			return nil
		},
	}
	root.PersistentFlags().StringVar(&m.ConfigPath, "config", "", "config file (TOML); default $"+EnvConfig+", else built-in defaults")
	root.PersistentFlags().StringVar(&m.DBPath, "db", "", "database file, overriding store.path")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(m.serveCommand(), m.applyCommand(), m.deleteCommand(), m.stopCommand(), m.startCommand(),
		m.statusCommand(), m.eventsCommand(), m.planCommand(), m.reconcileCommand(), m.migrateCommand(),
		m.versionCommand(), m.fakeCommand(), m.launchdCommand(), m.systemdCommand(), m.docsCommand(), m.backupCommand(), m.fleetCommand())
	root.AddCommand(m.adoptCommand())
	root.AddCommand(m.execCommand())
	root.AddCommand(m.logsCommand(), m.restartCommand(), m.describeCommand(), m.configCommand())
	return root
}

// loadConfig reads the config file named by --config or $VELOSLET_CONFIG,
// if any, and applies --db.
func (m *Main) loadConfig() error {
	path := m.ConfigPath
	if path == "" && m.Getenv != nil {
		path = m.Getenv(EnvConfig)
	}
	if path != "" {
		cfg, err := ReadConfigFile(path)
		if err != nil {
			return err
		}
		m.Config, m.ConfigPath = cfg, path
	}
	if m.DBPath != "" {
		m.Config.Store.Path = m.DBPath
	}
	if m.Logger == nil {
		m.Logger = newLogger(m.Stderr, m.Config.Log)
	}
	return nil
}

// noteDefaults tells a user who gave no config file which database and
// backend a writing verb is about to use: without it, a copied command
// quietly writes to the default database with the auto-chosen backend.
func (m *Main) noteDefaults(cmd *cobra.Command) {
	switch cmd.Name() {
	case "apply", "reconcile", "serve":
	default:
		return
	}
	if m.ConfigPath != "" || m.Runtime != nil || m.DB != nil {
		return
	}
	backend := m.Config.Runtime.Backend
	if backend == "auto" {
		if b, err := resolveBackend(m.Config.Runtime); err == nil {
			backend = b + " (auto)"
		}
	}
	fmt.Fprintf(m.Stderr, "veloslet: no config file (--config or $%s): using %s, backend %s\n",
		EnvConfig, m.Config.Store.Path, backend)
}

func newLogger(w io.Writer, c LogConfig) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.Level))) // validated with the config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDB opens the configured database. mustExist refuses to create one, so
// that a read-only verb with a mistyped --db does not leave a stray file.
func (m *Main) openDB(ctx context.Context, mustExist bool) (*store.DB, error) {
	if m.DB != nil {
		return m.DB, nil
	}
	path := m.Config.Store.Path
	if mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, usageError{fmt.Errorf("no database at %s (apply a spec or run serve first; or check --db): %w", path, err)}
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	m.DB, m.ownDB = db, true
	return db, nil
}

// openDBRead opens the configured database read-only, for verbs that only
// read: no migration and no write lock, so they answer while a writer holds
// the file, and a newer veloslet never migrates an older daemon's file
// just by looking at it.
func (m *Main) openDBRead(ctx context.Context) (*store.DB, error) {
	if m.DB != nil {
		return m.DB, nil
	}
	path := m.Config.Store.Path
	if _, err := os.Stat(path); err != nil {
		return nil, usageError{fmt.Errorf("no database at %s (apply a spec or run serve first; or check --db): %w", path, err)}
	}
	db, err := store.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	m.DB, m.ownDB = db, true
	return db, nil
}

// Close releases what the invocation opened.
func (m *Main) Close() error {
	if m.DB == nil || !m.ownDB {
		return nil
	}
	err := m.DB.Close()
	m.DB, m.ownDB = nil, false
	return err
}
