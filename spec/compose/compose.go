// Package compose imports a compose project (compose.yaml and friends) as
// veloslet specs: one spec per service. Loading is the compose-spec's own
// library, so .env files, ${VAR} interpolation, extends, profiles, include,
// the merge of several files and the resolution of relative paths behave as
// under `docker compose`. What a service becomes is decided here; a key that
// veloslet cannot honour is refused with the service and the key named,
// never dropped, and a key that changes nothing at runtime is accepted with
// a note.
package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/veloslet/veloslet/spec"
)

// Labels set on every imported spec: the keys compose itself sets on its
// containers, so that tools reading them find the project and the service
// (the velos. prefix is reserved for veloslet's own runtime labels).
const (
	LabelProject = "com.docker.compose.project"
	LabelService = "com.docker.compose.service"
)

// File is one compose file: its path (for relative paths, extends and the
// project's default name) and its content.
type File struct {
	Path    string // "" or "-" for standard input
	Content []byte
}

// Options says what to load.
type Options struct {
	Files      []File            // merged in order, as several -f
	WorkingDir string            // "" = the first file's folder (the current one for standard input)
	Project    string            // "" = name: of the files, else the working folder's name
	Profiles   []string          // nil = COMPOSE_PROFILES of Env
	Env        map[string]string // the shell's environment; .env in WorkingDir fills what it lacks
}

// Project is an imported compose project.
type Project struct {
	Name     string
	Specs    []spec.Spec // by service name; normalized and valid
	Networks []Network   // the networks the specs use that veloslet creates
	Notes    []string    // keys accepted but without effect, and choices made
	Services []Service   // the intermediate form of each service, in the order of Specs
}

// Network is a network veloslet creates for a project.
type Network struct {
	Name   string
	Labels map[string]string
}

// Refusal is a key of a service that veloslet cannot honour. It wraps
// spec.ErrFile, so apply exits 2.
type Refusal struct {
	Service string // "" for a top-level key
	Key     string
	Reason  string
}

func (r *Refusal) Error() string {
	if r.Service == "" {
		return fmt.Sprintf("%s: %s", r.Key, r.Reason)
	}
	return fmt.Sprintf("service %s: %s: %s", r.Service, r.Key, r.Reason)
}

// Unwrap returns spec.ErrFile.
func (r *Refusal) Unwrap() error { return spec.ErrFile }

// Load loads the files as `docker compose` does and maps each enabled service
// to one spec. Errors of the loader and refusals wrap spec.ErrFile.
func Load(ctx context.Context, o Options) (*Project, error) {
	if len(o.Files) == 0 {
		return nil, fmt.Errorf("%w: no compose file", spec.ErrFile)
	}
	wd := o.WorkingDir
	if wd == "" {
		wd = "."
		if p := o.Files[0].Path; p != "" && p != "-" {
			wd = filepath.Dir(p)
		}
	}
	wd, err := filepath.Abs(wd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
	}
	env, err := environment(wd, o.Env)
	if err != nil {
		return nil, err
	}
	details := types.ConfigDetails{WorkingDir: wd, Environment: env}
	for _, f := range o.Files {
		name := f.Path
		if name == "" || name == "-" {
			name = filepath.Join(wd, "-") // a path inside wd: the loader reads the content, never the file
		} else if name, err = filepath.Abs(name); err != nil {
			return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
		}
		if err := prescan(f.Content); err != nil {
			return nil, err
		}
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: name, Content: f.Content})
	}
	profiles := o.Profiles
	if profiles == nil {
		for _, p := range strings.Split(env["COMPOSE_PROFILES"], ",") {
			if p = strings.TrimSpace(p); p != "" {
				profiles = append(profiles, p)
			}
		}
	}
	name := o.Project
	if name == "" {
		name = env["COMPOSE_PROJECT_NAME"]
	}
	setName := func(lo *loader.Options) {
		lo.Profiles = profiles
		if name != "" {
			lo.SetProjectName(name, true)
		} else {
			lo.SetProjectName(loader.NormalizeProjectName(filepath.Base(wd)), false)
		}
	}
	// The model first, to see the string forms of command and entrypoint
	// before they are split; then the project from it, as LoadWithContext does.
	var model map[string]any
	err = unpanic(func() (err error) {
		model, err = loader.LoadModelWithContext(ctx, details, setName)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
	}
	if err := checkShellForms(model); err != nil {
		return nil, err
	}
	if n, ok := model["name"].(string); ok && n != "" && name == "" {
		name = n
	}
	opts := loader.ToOptions(&details, []func(*loader.Options){setName})
	if name != "" {
		opts.SetProjectName(name, true)
	}
	var proj *types.Project
	err = unpanic(func() (err error) {
		proj, err = loader.ModelToProject(model, opts, details)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
	}
	if proj.Name == "" {
		return nil, fmt.Errorf("%w: no project name: set name: in the file or --project", spec.ErrFile)
	}
	return convert(proj)
}

// unpanic runs a step of the compose loader, turning a panic into an error:
// the loader assumes shapes its schema check lets through (env_file:
// [{path: null}] made it panic), and a bad file must be refused, not crash
// the daemon that reads it.
func unpanic(step func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the compose loader could not read the file: %v", r)
		}
	}()
	return step()
}

// environment is the shell's environment with what .env in wd adds, as
// compose reads it: the shell wins over the file.
func environment(wd string, shell map[string]string) (map[string]string, error) {
	env := map[string]string{}
	for k, v := range shell {
		env[k] = v
	}
	dot := filepath.Join(wd, ".env")
	if st, err := os.Stat(dot); err == nil && !st.IsDir() {
		fromFile, err := dotenv.GetEnvFromFile(env, []string{dot})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
		}
		for k, v := range fromFile {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %v", spec.ErrFile, err)
	}
	return env, nil
}

// convert maps every enabled service, in name order.
func convert(p *types.Project) (*Project, error) {
	out := &Project{Name: p.Name}
	if err := checkTop(p); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	nets := map[string]Network{}
	for _, n := range names {
		svc, err := service(p, p.Services[n], nets)
		if err != nil {
			return nil, err
		}
		s := svc.Spec
		s.Normalize()
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w: service %s: %v", spec.ErrFile, n, err)
		}
		out.Specs = append(out.Specs, s)
		out.Services = append(out.Services, *svc)
		for _, note := range svc.Notes {
			out.Notes = append(out.Notes, "service "+n+": "+note)
		}
	}
	var plain []string
	for _, svc := range out.Services {
		if svc.defaultRestart {
			plain = append(plain, svc.Name)
		}
	}
	if len(plain) > 0 {
		if len(plain) > 5 {
			plain = append(plain[:5], fmt.Sprintf("and %d more", len(plain)-5))
		}
		out.Notes = append(out.Notes, "no restart: in "+strings.Join(plain, ", ")+"; veloslet's default, always, applies (compose's would be no)")
	}
	for _, n := range sortedNames(nets) {
		out.Networks = append(out.Networks, nets[n])
	}
	if len(out.Specs) == 0 {
		return nil, fmt.Errorf("%w: no service to run (are they all behind a profile?)", spec.ErrFile)
	}
	return out, nil
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
