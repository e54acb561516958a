package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/veloslet/veloslet/spec/compose"
	"github.com/veloslet/veloslet/store"
)

// errNoPruneScope: a plain spec file is not the whole desired state of anything.
var errNoPruneScope = usagef("--prune needs a scope: a compose project (all specs from one compose file) or --selector")

// pruneSet returns the uids apply --prune deletes: the specs in its scope
// that the input does not hold. The scope is the selector's specs, or the
// compose project the input's specs belong to; a plain spec file with no
// selector has no scope (it is not the whole desired state of anything).
func pruneSet(ctx context.Context, db *store.DB, applied []store.Spec, selector string) ([]string, error) {
	var scope []string
	var err error
	switch project := commonProject(applied); {
	case selector != "":
		scope, err = (&selection{selector: selector}).uids(ctx, db, nil)
	case project != "":
		scope, err = projectUIDs(ctx, db, project)
	default:
		return nil, errNoPruneScope
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // nothing in scope yet: nothing to prune
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, uid := range scope {
		if !slices.ContainsFunc(applied, func(s store.Spec) bool { return s.UID == uid }) {
			out = append(out, uid)
		}
	}
	return out, nil
}

// commonProject is the compose project every spec is labelled with, or "".
func commonProject(specs []store.Spec) string {
	if len(specs) == 0 {
		return ""
	}
	p := specs[0].Labels[compose.LabelProject]
	for _, s := range specs[1:] {
		if s.Labels[compose.LabelProject] != p {
			return ""
		}
	}
	return p
}

// prune deletes the uids after an apply, or with dryRun only names them.
func prune(ctx context.Context, w io.Writer, db *store.DB, uids []string, dryRun bool) error {
	if dryRun {
		for _, uid := range uids {
			fmt.Fprintf(w, "prune: would delete %s (not in the input)\n", term(uid))
		}
		return nil
	}
	if len(uids) == 0 {
		return nil
	}
	if err := db.DeleteSpecs(ctx, uids...); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	for _, uid := range uids {
		fmt.Fprintf(w, "%s deleted (pruned: not in the input)\n", term(uid))
	}
	return nil
}
