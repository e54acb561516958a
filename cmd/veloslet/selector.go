package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/veloslet/veloslet/store"
)

// labelTerm is one term of a label selector, as kubectl reads them:
// "k=v" (or "k==v"), "k!=v", "k" (has the label) and "!k" (has not).
type labelTerm struct {
	key, value string
	op         string // "=", "!=", "exists", "!exists"
}

// parseSelector reads comma-separated terms; every term must hold.
func parseSelector(sel string) ([]labelTerm, error) {
	var terms []labelTerm
	for _, raw := range strings.Split(sel, ",") {
		t := strings.TrimSpace(raw)
		var term labelTerm
		switch {
		case strings.Contains(t, "!="):
			k, v, _ := strings.Cut(t, "!=")
			term = labelTerm{key: strings.TrimSpace(k), value: strings.TrimSpace(v), op: "!="}
		case strings.Contains(t, "="):
			k, v, _ := strings.Cut(strings.Replace(t, "==", "=", 1), "=")
			term = labelTerm{key: strings.TrimSpace(k), value: strings.TrimSpace(v), op: "="}
		case strings.HasPrefix(t, "!"):
			term = labelTerm{key: strings.TrimSpace(t[1:]), op: "!exists"}
		default:
			term = labelTerm{key: t, op: "exists"}
		}
		if term.key == "" || strings.ContainsAny(term.key, "=! ") {
			return nil, usagef("--selector %q: term %q: want KEY=VALUE, KEY!=VALUE, KEY or !KEY, comma-separated", sel, raw)
		}
		terms = append(terms, term)
	}
	return terms, nil
}

func (t labelTerm) match(labels map[string]string) bool {
	v, ok := labels[t.key]
	switch t.op {
	case "=":
		return ok && v == t.value
	case "!=":
		return !ok || v != t.value
	case "exists":
		return ok
	}
	return !ok
}

// selection is how a verb names the specs it acts on: by uid, or by one of
// --selector, --all and (for compose projects) --project.
type selection struct {
	selector, project string
	all               bool
}

func (s *selection) addFlags(cmd *cobra.Command, verb string) {
	cmd.Flags().StringVarP(&s.selector, "selector", "l", "", verb+" the specs whose labels match (KEY=VALUE, KEY!=VALUE, KEY, !KEY; comma: and)")
	cmd.Flags().BoolVar(&s.all, "all", false, verb+" every spec")
}

// used reports whether a flag names the specs instead of uid arguments.
func (s *selection) used() bool { return s.selector != "" || s.project != "" || s.all }

// checkArgs allows uids or one selection flag, never both, and at least one.
func (s *selection) checkArgs(cmd *cobra.Command, args []string) error {
	n := 0
	for _, set := range []bool{s.selector != "", s.project != "", s.all} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return usagef("%s takes one of --selector, --project and --all", cmd.Name())
	case n == 1 && len(args) > 0:
		return usagef("%s takes UIDs or a selection flag, not both", cmd.Name())
	case n == 0 && len(args) == 0:
		return usagef("%s needs at least one UID, or --selector, --project or --all", cmd.Name())
	}
	return nil
}

// uids returns args, or the uids of the specs the flags select (sorted); a
// selection that matches nothing is an error naming it.
func (s *selection) uids(ctx context.Context, db *store.DB, args []string) ([]string, error) {
	if !s.used() {
		return args, nil
	}
	if s.project != "" {
		return projectUIDs(ctx, db, s.project)
	}
	var terms []labelTerm
	if s.selector != "" {
		var err error
		if terms, err = parseSelector(s.selector); err != nil {
			return nil, err
		}
	}
	specs, err := db.FindSpecs(ctx)
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, sp := range specs {
		ok := true
		for _, t := range terms {
			ok = ok && t.match(sp.Labels)
		}
		if ok {
			uids = append(uids, sp.UID)
		}
	}
	if len(uids) == 0 {
		what := "no specs"
		if s.selector != "" {
			what = fmt.Sprintf("no spec matches --selector %q", s.selector)
		}
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, what)
	}
	sort.Strings(uids)
	return uids, nil
}
