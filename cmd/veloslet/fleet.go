package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/fleet"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// decodeFleetValue reads a bucket value with apply's decoder for a JSON
// spec file: one object, the same keys, the same checks.
func decodeFleetValue(value []byte) (*store.Spec, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")) {
		return nil, errors.New("not a JSON object")
	}
	specs, err := DecodeSpecs(bytes.NewReader(value), "json")
	if err != nil {
		return nil, err
	}
	return &specs[0], nil
}

// startFleet runs the fleet node beside the scheduler when [fleet] is set:
// it returns the lines /healthz adds and a stop function (both nil without
// a fleet). The node's hold is the veloslet_fleet_held gauge of reg.
func (m *Main) startFleet(ctx context.Context, db *store.DB, sc *supervisor.Scheduler, log *slog.Logger, reg *prometheus.Registry) (func() string, func()) {
	cfg := m.Config.Fleet.Fleet()
	if !cfg.Enabled() {
		return nil, func() {}
	}
	node := &fleet.Node{Config: cfg, DB: db, Decode: decodeFleetValue, Logger: log,
		BrakeShare: m.Config.Reconcile.BrakeShare, BrakeMin: m.Config.Reconcile.BrakeMin,
		OnChange: func() { sc.Trigger(store.TriggerChange) }}
	if reg != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "veloslet_fleet_held",
			Help: "1 while the fleet mirror is held (a missing or new specs bucket, a catch-up deleting too much, " +
				"or fleet specs kept whose key is gone with no delete marker) until `veloslet fleet resync --confirm`; 0 otherwise."}, func() float64 {
			if node.Held() != nil {
				return 1
			}
			return 0
		}))
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "veloslet_fleet_connected",
			Help: "1 while the node is connected to the fleet's NATS servers, 0 while it supervises from the local store alone."}, func() float64 {
			if connected, _ := node.State(); connected {
				return 1
			}
			return 0
		}))
	}
	prev := sc.OnPass
	sc.OnPass = func(res *supervisor.PassResult, err error) {
		if prev != nil {
			prev(res, err)
		}
		node.Notify()
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := node.Run(ctx); err != nil {
			log.Error("fleet stopped; supervising from the local store", "error", err)
		}
	}()
	return node.StateLine, func() { cancel(); <-done }
}

// writeFleetState prints the fleet line of `status`, when serve runs or
// ran with a fleet.
func writeFleetState(ctx context.Context, w io.Writer, db *store.DB) {
	s, ok, err := fleet.ReadState(ctx, db)
	switch {
	case err != nil:
		fmt.Fprintf(w, "fleet: state unreadable: %v\n", err)
	case ok:
		fmt.Fprintln(w, fleet.FormatState(s))
	}
	if h, err := fleet.ReadHold(ctx, db); err != nil {
		fmt.Fprintf(w, "fleet: hold unreadable: %v\n", err)
	} else if h != nil {
		fmt.Fprintln(w, term(h.Line(s.Node)))
	}
	if b := fleet.BrakeLine(ctx, db); b != "" {
		if s.Node != "" {
			b = strings.ReplaceAll(b, "NODE", s.Node)
		}
		fmt.Fprintln(w, term(b))
	}
}

func (m *Main) fleetCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fleet",
		Short: "Write specs for other nodes and read their status and events (needs [fleet])",
		Long: `Work on the fleet's buckets directly: apply and delete node's specs, read every
node's status and events. These verbs need only the [fleet] section of the
config, no local database (docs/fleet.md).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(m.fleetApplyCommand(), m.fleetDeleteCommand(), m.fleetStatusCommand(), m.fleetEventsCommand(),
		m.fleetResyncCommand())
	return cmd
}

func (m *Main) fleetClient(ctx context.Context) (*fleet.Client, error) {
	cfg := m.Config.Fleet.Fleet()
	if !cfg.Enabled() {
		return nil, usagef("the fleet verbs need fleet.url in the config (see config.example.toml)")
	}
	return fleet.Dial(ctx, cfg)
}

// fleetReader checks the optional --node filter of a reading verb, then
// connects.
func (m *Main) fleetReader(ctx context.Context, node string) (*fleet.Client, error) {
	if node != "" {
		if err := checkNode(node); err != nil {
			return nil, err
		}
	}
	return m.fleetClient(ctx)
}

func nodeFlag(cmd *cobra.Command, node *string, required bool) {
	usage := "the node whose keys to use"
	if !required {
		usage = "only this node (default: every node)"
	}
	cmd.Flags().StringVar(node, "node", "", usage)
}

func checkNode(node string) error {
	if err := fleet.ValidNode(node); err != nil {
		return usagef("--node %q: %v", node, err)
	}
	return nil
}

func (m *Main) fleetApplyCommand() *cobra.Command {
	var file, format, node string
	cmd := &cobra.Command{
		Use:     "apply --node NODE -f FILE|-",
		Short:   "Write specs to a node's keys in the specs bucket",
		Example: "  veloslet fleet apply --node mini-7 -f web.toml",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNode(node); err != nil {
				return err
			}
			if file == "" {
				return usagef("fleet apply needs -f FILE (or -f - for standard input)")
			}
			var r io.Reader = m.Stdin
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return usageError{err}
				}
				defer func() { _ = f.Close() }()
				r = f
			}
			specs, err := DecodeSpecs(r, format)
			if err != nil {
				return fmt.Errorf("%s: %w", displayName(file), err)
			}
			c, err := m.fleetClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Apply(cmd.Context(), node, specs)
			for _, r := range res {
				what := "unchanged"
				if r.Changed {
					what = "written"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s (revision %d)\n", r.Key, what, r.Revision)
			}
			return err
		},
	}
	nodeFlag(cmd, &node, true)
	cmd.Flags().StringVarP(&file, "file", "f", "", "spec file, or - for standard input")
	cmd.Flags().StringVar(&format, "format", "", "toml or json (default: guessed from the content)")
	return cmd
}

func (m *Main) fleetDeleteCommand() *cobra.Command {
	var node string
	var invalid bool
	cmd := &cobra.Command{
		Use:   "delete --node NODE UID... | --node NODE --invalid-keys",
		Short: "Delete a node's keys; the node then deletes the specs",
		Long: `Delete a node's keys; the node then deletes the specs. With --invalid-keys,
remove instead the keys of the node that break NATS's key rules (stored by a
raw publish; the node refuses them and no other verb can name them).`,
		Example: "  veloslet fleet delete --node mini-7 web\n  veloslet fleet delete --node mini-7 --invalid-keys",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkNode(node); err != nil {
				return err
			}
			if invalid == (len(args) > 0) {
				return usagef("fleet delete needs UIDs or --invalid-keys, not both")
			}
			c, err := m.fleetClient(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			if invalid {
				keys, err := c.DeleteInvalid(cmd.Context(), node)
				for _, k := range keys {
					fmt.Fprintf(cmd.OutOrStdout(), "%s deleted\n", k) // quoted, escapes and all
				}
				if err == nil && len(keys) == 0 {
					fmt.Fprintf(cmd.OutOrStdout(), "no invalid key of %s\n", node)
				}
				return err
			}
			if err := c.Delete(cmd.Context(), node, args...); err != nil {
				return err
			}
			for _, uid := range args {
				fmt.Fprintf(cmd.OutOrStdout(), "%s deleted\n", fleet.Key(node, uid))
			}
			return nil
		},
	}
	nodeFlag(cmd, &node, true)
	cmd.Flags().BoolVar(&invalid, "invalid-keys", false, "remove the node's keys that break NATS's key rules")
	return cmd
}
