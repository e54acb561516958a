package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

func (m *Main) applyCommand() *cobra.Command {
	var in applyInput
	var asJSON, dryRun, wait, pruneFlag bool
	var waitFor time.Duration
	var pruneSel string
	cmd := &cobra.Command{
		Use:   "apply -f FILE|- [-f FILE...]",
		Short: "Create or update specs from a TOML, JSON or compose file",
		Long: `Create or update specs from a file: TOML with [[spec]] tables, JSON with one
object or an array of objects, or a compose file (compose.yaml, docker-compose.yml,
any .yaml or .yml, or --format compose): each service becomes one spec, uid
<project>-<service>; several -f compose files merge as under docker compose;
docs/compose.md lists what each key becomes. All specs are applied in one
transaction: if one is invalid, none is written. A running daemon picks the
change up within about a second. Prints one line per uid: created, updated
(generation N) or unchanged. --dry-run prints the specs as they would be
stored, in the spec file format, and writes nothing. --wait then waits until
the daemon runs every applied uid (healthy, where it has a probe), printing
each change, and exits 1 naming what is not there when --timeout passes.`,
		Example: `  veloslet apply -f docs/examples/demo.toml
  echo '{"uid":"web","image":"nginx:1.27"}' | veloslet apply -f -
  veloslet apply -f compose.yaml --dry-run --json
  veloslet apply -f compose.yaml -f compose.prod.yaml --project shop`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(in.files) == 0 {
				return usagef("apply needs -f FILE (or -f - for standard input)")
			}
			if !cmd.Flags().Changed("profile") {
				in.profiles = nil
			}
			d, err := in.read(cmd.Context(), m.Stdin)
			if err != nil {
				return err
			}
			if dryRun {
				for i := range d.specs {
					d.specs[i].Normalize()
					if err := d.specs[i].Validate(); err != nil {
						return err
					}
				}
				if err := m.dryRunPrune(cmd, d.specs, pruneFlag, pruneSel); err != nil {
					return err
				}
				return printDryRun(cmd.OutOrStdout(), cmd.ErrOrStderr(), d, asJSON)
			}
			if pruneFlag {
				return m.applyPrune(cmd, d.specs, pruneSel, asJSON, wait, waitFor)
			}
			if !wait {
				return m.apply(cmd, d.specs, asJSON)
			}
			if asJSON {
				return usagef("--wait prints progress lines; it does not combine with --json")
			}
			return m.applyWait(cmd, d.specs, waitFor)
		},
	}
	cmd.Flags().BoolVar(&pruneFlag, "prune", false, "delete the specs in scope (the compose project, or --selector) that the input does not hold")
	cmd.Flags().StringVarP(&pruneSel, "selector", "l", "", "with --prune: the specs the input is the whole of (KEY=VALUE, …)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the daemon runs every applied uid (and it is healthy, where it has a probe)")
	cmd.Flags().DurationVar(&waitFor, "timeout", 2*time.Minute, "with --wait: how long to wait")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of outcomes (with --dry-run: of the specs)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the specs as they would be stored; write nothing")
	cmd.Flags().StringArrayVarP(&in.files, "file", "f", nil, "spec or compose file, or - for standard input; repeatable")
	cmd.Flags().StringVar(&in.format, "format", "", "toml, json or compose (default: guessed from the name and content)")
	cmd.Flags().StringVar(&in.project, "project", "", "compose: the project name (default: name: in the file, else its folder's name)")
	cmd.Flags().StringArrayVar(&in.profiles, "profile", nil, "compose: a profile to enable; repeatable (default: COMPOSE_PROFILES)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"toml", "json", "compose"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func displayName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// applyPrune applies the specs, then deletes those in scope the input lacks.
func (m *Main) applyPrune(cmd *cobra.Command, specs []store.Spec, selector string, asJSON, wait bool, timeout time.Duration) error {
	if asJSON {
		return usagef("--prune prints what it deletes as lines; it does not combine with --json")
	}
	if err := m.apply(cmd, specs, false); err != nil {
		return err
	}
	uids, err := pruneSet(cmd.Context(), m.DB, specs, selector)
	if err != nil {
		return err
	}
	if err := prune(cmd.Context(), cmd.OutOrStdout(), m.DB, uids, false); err != nil {
		return err
	}
	if wait {
		return m.waitApplied(cmd.Context(), cmd.OutOrStdout(), m.DB, m.applied, timeout)
	}
	return nil
}

// dryRunPrune names on stderr what --prune would delete; it reads the
// database only if one exists.
func (m *Main) dryRunPrune(cmd *cobra.Command, specs []store.Spec, pruneFlag bool, selector string) error {
	if !pruneFlag {
		return nil
	}
	if selector == "" && commonProject(specs) == "" {
		return errNoPruneScope
	}
	if _, err := os.Stat(m.Config.Store.Path); err != nil {
		return nil // no database yet: nothing to prune
	}
	db, err := m.openDBRead(cmd.Context())
	if err != nil {
		return err
	}
	uids, err := pruneSet(cmd.Context(), db, specs, selector)
	if err != nil {
		return err
	}
	return prune(cmd.Context(), cmd.ErrOrStderr(), db, uids, true)
}

// applyWait applies the specs, then waits for the daemon to run them.
func (m *Main) applyWait(cmd *cobra.Command, specs []store.Spec, timeout time.Duration) error {
	if err := m.apply(cmd, specs, false); err != nil {
		return err
	}
	results := m.applied
	return m.waitApplied(cmd.Context(), cmd.OutOrStdout(), m.DB, results, timeout)
}

func (m *Main) apply(cmd *cobra.Command, specs []store.Spec, asJSON bool) error {
	for i := range specs { // validate before opening, so bad input never creates a database
		specs[i].Normalize()
		if err := specs[i].Validate(); err != nil {
			return err
		}
	}
	if err := m.refuseOrphanedLock(); err != nil {
		return err
	}
	db, err := m.openDB(cmd.Context(), false)
	if err != nil {
		return err
	}
	results, err := db.UpsertSpecs(cmd.Context(), specs)
	if err != nil {
		return err
	}
	m.applied = results
	if asJSON {
		out := []specResultJSON{}
		for _, r := range results {
			out = append(out, specResultJSON{UID: r.UID, Outcome: string(r.Outcome), Generation: r.Generation})
		}
		return writeJSON(cmd.OutOrStdout(), out)
	}
	printResults(cmd.OutOrStdout(), results)
	return nil
}

func printResults(w io.Writer, results []store.ApplyResult) {
	for _, r := range results {
		switch r.Outcome {
		case store.Updated:
			fmt.Fprintf(w, "%s updated (generation %d)\n", r.UID, r.Generation)
		default:
			fmt.Fprintf(w, "%s %s\n", r.UID, r.Outcome)
		}
	}
}

// completeUIDs offers the uids of the configured database.
func (m *Main) completeUIDs(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if err := m.loadConfig(); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	db, err := m.openDB(cmd.Context(), true)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer func() { _ = m.Close() }()
	specs, _ := db.FindSpecs(cmd.Context())
	var uids []string
	for _, s := range specs {
		uids = append(uids, s.UID)
	}
	return uids, cobra.ShellCompDirectiveNoFileComp
}

func (m *Main) deleteCommand() *cobra.Command {
	var asJSON bool
	var sel selection
	cmd := &cobra.Command{
		Use:   "delete UID... | --project NAME | -l SELECTOR | --all",
		Short: "Delete specs; the daemon then removes their instances",
		Example: `  veloslet delete web worker-2
  veloslet delete --project shop
  veloslet delete -l team=web`,
		Args:              sel.checkArgs,
		ValidArgsFunction: m.completeUIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			if args, err = sel.uids(cmd.Context(), db, args); err != nil {
				return err
			}
			if err := db.DeleteSpecs(cmd.Context(), args...); err != nil {
				return err
			}
			out := []specResultJSON{}
			for _, uid := range args {
				out = append(out, specResultJSON{UID: uid, Outcome: "deleted"})
				if !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "%s deleted\n", uid)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of outcomes")
	cmd.Flags().StringVar(&sel.project, "project", "", "delete every spec of this compose project")
	sel.addFlags(cmd, "delete")
	return cmd
}

func (m *Main) stopCommand() *cobra.Command  { return m.desiredCommand("stop", store.DesiredStopped) }
func (m *Main) startCommand() *cobra.Command { return m.desiredCommand("start", store.DesiredRunning) }

func (m *Main) desiredCommand(verb string, state store.DesiredState) *cobra.Command {
	short := "Set specs' desired state to stopped; the instance is kept for inspection"
	if state == store.DesiredRunning {
		short = "Set specs' desired state to running; also clears a gave-up instance"
	}
	var asJSON bool
	var sel selection
	cmd := &cobra.Command{
		Use:               verb + " UID... | --project NAME | -l SELECTOR | --all",
		Short:             short,
		Example:           "  veloslet " + verb + " web\n  veloslet " + verb + " -l team=web",
		Args:              sel.checkArgs,
		ValidArgsFunction: m.completeUIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			if args, err = sel.uids(cmd.Context(), db, args); err != nil {
				return err
			}
			results, err := db.SetDesiredState(cmd.Context(), state, args...)
			if err != nil {
				return err
			}
			out := []specResultJSON{}
			for _, r := range results {
				out = append(out, specResultJSON{UID: r.UID, Outcome: string(r.Outcome), Generation: r.Generation, DesiredState: string(state)})
				note := ""
				if r.Outcome == store.Unchanged {
					note = " (already)"
				}
				if !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "%s desired state %s%s\n", r.UID, state, note)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of outcomes")
	cmd.Flags().StringVar(&sel.project, "project", "", verb+" every spec of this compose project")
	sel.addFlags(cmd, verb)
	return cmd
}

// refuseOrphanedLock refuses to create a database where a daemon holds the
// lock: the file was deleted or moved under it, and a new store there would
// have specs no daemon launches and would make every running instance foreign.
func (m *Main) refuseOrphanedLock() error {
	path := m.Config.Store.Path
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(lockPath(path)); err != nil {
		return nil // no daemon ever served this path
	}
	held, err := lockHeld(path)
	if err != nil || !held {
		return err
	}
	return fmt.Errorf("no database at %s, but a daemon holds its lock (pid %s): the file was deleted or moved "+
		"while it ran; restore the file or restart the daemon before applying", path, holderPID(lockPath(path)))
}

// launchLines returns the Container fields describe shows beyond image,
// command, env, labels and limits (which it words itself), in field order,
// each as its key and its value as a spec file writes it; unset fields are
// left out. It reads the fields from the type, so a new field shows without
// a change here.
func launchLines(c spec.Container) [][2]string {
	var out [][2]string
	v, t := reflect.ValueOf(c), reflect.TypeOf(c)
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f := v.Field(i)
		switch key {
		case "image", "command", "env", "labels", "cpus", "memory":
			continue
		}
		if f.IsZero() || ((f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0) {
			continue
		}
		var text string
		if f.Kind() == reflect.String {
			text = f.String()
		} else {
			b, _ := json.Marshal(f.Interface()) // every spec field marshals
			text = strings.Trim(string(b), `"`)
		}
		out = append(out, [2]string{key, text})
	}
	return out
}
