package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/spec/compose"
	"github.com/veloslet/veloslet/store"
)

// applyInput is what apply reads: its -f files, in order, and how.
type applyInput struct {
	files    []string // "-" = standard input
	format   string   // toml, json, compose or "" to guess
	project  string   // compose: overrides the project name
	profiles []string // compose: profiles to enable (nil = COMPOSE_PROFILES)
}

// decoded is the specs read, with what a compose import adds.
type decoded struct {
	specs    []store.Spec
	notes    []string
	networks []compose.Network
}

// composeLine finds a top-level services: key, which no spec file has.
var composeLine = regexp.MustCompile(`(?m)^services\s*:`)

// isCompose tells a compose file by --format, its name (.yaml, .yml) or,
// for standard input, a top-level services: key.
func isCompose(format, name string, data []byte) bool {
	switch format {
	case "compose":
		return true
	case "":
		ext := strings.ToLower(filepath.Ext(name))
		return ext == ".yaml" || ext == ".yml" || (name == "-" && composeLine.Match(data))
	}
	return false
}

// read decodes the files: compose files together as one project (several
// -f merge as under docker compose), spec files each on its own.
func (in applyInput) read(ctx context.Context, stdin io.Reader) (*decoded, error) {
	out := &decoded{}
	var cf []compose.File
	for _, name := range in.files {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(io.LimitReader(stdin, spec.MaxFile+1))
		} else {
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, usageError{err}
		}
		if isCompose(in.format, name, data) {
			cf = append(cf, compose.File{Path: name, Content: data})
			continue
		}
		specs, err := spec.Decode(bytes.NewReader(data), in.format)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", displayName(name), err)
		}
		out.specs = append(out.specs, specs...)
	}
	if len(cf) == 0 {
		if in.project != "" || in.profiles != nil {
			return nil, usagef("--project and --profile apply to compose files only")
		}
		return out, nil
	}
	p, err := compose.Load(ctx, compose.Options{Files: cf, Project: in.project, Profiles: in.profiles, Env: environ()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(cf[0].Path), err)
	}
	out.specs = append(out.specs, p.Specs...)
	out.notes, out.networks = p.Notes, p.Networks
	return out, nil
}

func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// printDryRun prints the specs as apply would store them, in the spec file
// format (a JSON array with --json, TOML otherwise), and the notes and
// networks on stderr, so that stdout can be applied as it is.
func printDryRun(stdout, stderr io.Writer, d *decoded, asJSON bool) error {
	for _, n := range d.notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	for _, n := range d.networks {
		fmt.Fprintf(stderr, "network: %s (created by the daemon before a service on it starts)\n", n.Name)
	}
	specs := make([]spec.Spec, 0, len(d.specs))
	for _, s := range d.specs {
		specs = append(specs, s.Portable())
	}
	if asJSON {
		return writeJSON(stdout, specs)
	}
	return toml.NewEncoder(stdout).Encode(struct {
		Spec []spec.Spec `toml:"spec"`
	}{specs})
}

// projectUIDs returns the uids of the specs labelled with the compose
// project name; none is a not-found error.
func projectUIDs(ctx context.Context, db *store.DB, project string) ([]string, error) {
	specs, err := db.FindSpecs(ctx)
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, s := range specs {
		if s.Labels[compose.LabelProject] == project {
			uids = append(uids, s.UID)
		}
	}
	if len(uids) == 0 {
		return nil, fmt.Errorf("%w: no spec of project %s", store.ErrNotFound, spec.Quote(project))
	}
	return uids, nil
}
