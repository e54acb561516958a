package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/podman"
)

// errNoRuntime is returned when backend "auto" finds no runtime CLI.
var errNoRuntime = errors.New("no container runtime found")

// searchDirs are looked in after PATH: launchd starts jobs with a minimal
// PATH, and Homebrew and Apple's installer put their CLIs here.
var searchDirs = map[string][]string{
	"darwin": {"/usr/local/bin", "/opt/homebrew/bin", "/opt/podman/bin"},
	"linux":  {"/usr/bin", "/usr/local/bin", "/bin"},
}

// findBinary resolves a runtime CLI name through PATH and the usual folders.
func findBinary(name string) (string, []string, error) {
	looked := []string{"$PATH"}
	if strings.ContainsRune(name, filepath.Separator) {
		if isExecutable(name) {
			return name, nil, nil
		}
		return "", []string{name}, fmt.Errorf("%s is not an executable file", name)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil, nil
	}
	for _, dir := range searchDirs[goruntime.GOOS] {
		p := filepath.Join(dir, name)
		looked = append(looked, dir)
		if isExecutable(p) {
			return p, nil, nil
		}
	}
	return "", looked, fmt.Errorf("%s not found in %s", name, strings.Join(looked, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// dockerProbe bounds how long "auto" waits for a Docker API socket to answer.
const dockerProbe = time.Second

// resolveBackend turns "auto" into a runtime: a Docker Engine API server when
// one answers (runtime.docker.host, DOCKER_HOST or a usual socket) and the
// platform's CLI was not named by a binary of its own; else Apple's
// container on macOS, podman elsewhere. It never picks the fake: a daemon
// supervising nothing while reporting healthy is the worst outcome.
func resolveBackend(c RuntimeConfig) (string, error) {
	if c.Backend != "auto" {
		return c.Backend, nil
	}
	def := DefaultConfig().Runtime
	if c.Podman.Binary == def.Podman.Binary && c.Apple.Binary == def.Apple.Binary {
		if _, ok := docker.Resolve(context.Background(), c.Docker.Host, dockerProbe); ok {
			return "docker", nil
		}
	}
	backend, bin := "podman", c.Podman.Binary
	if goruntime.GOOS == "darwin" {
		backend, bin = "apple", c.Apple.Binary
	}
	if _, _, err := findBinary(bin); err != nil {
		return "", fmt.Errorf("%w: runtime.backend = \"auto\" wants %s on %s: %v; install it or set runtime.backend",
			errNoRuntime, backend, goruntime.GOOS, err)
	}
	return backend, nil
}

// openRuntime builds the configured runtime backend for the store storeID:
// it lists the instances under the prefix and those labelled with storeID
// under any name.
func (m *Main) openRuntime(storeID string) (runtime.Runtime, string, error) {
	if m.Runtime != nil {
		return m.Runtime, "preset", nil
	}
	c := m.Config.Runtime
	backend, err := resolveBackend(c)
	if err != nil {
		return nil, "", err
	}
	switch backend {
	case "fake":
		rt, err := m.openFake()
		if err != nil {
			return nil, "", err
		}
		rt.StoreID = storeID
		return rt, backend, nil
	case "docker":
		host, _ := docker.Resolve(context.Background(), c.Docker.Host, dockerProbe)
		rt, err := docker.New(host)
		if err != nil {
			return nil, "", fmt.Errorf("%w: runtime.docker.host = %q: %v", ErrConfig, host, err)
		}
		rt.Configure(runtime.Options{NamePrefix: c.NamePrefix, CallTimeout: time.Duration(c.CallTimeout),
			RunTimeout: time.Duration(c.RunTimeout), StopTimeout: time.Duration(c.StopTimeout)})
		rt.StoreID, rt.LogMaxSize = storeID, m.Config.Logs.MaxSize
		rt.Logger, m.Runtime = m.Logger, rt
		return rt, backend, nil
	case "apple", "podman":
		openApple := func(b string) cliRuntime {
			r := apple.New(b)
			r.Poll, r.PollMax = time.Duration(c.Apple.Poll), time.Duration(c.Apple.PollMax)
			r.StartService, r.KernelInstall = c.Apple.startService(), c.Apple.KernelInstall
			return r
		}
		open, key, bin := openApple, "runtime.apple.binary", c.Apple.Binary
		if backend == "podman" {
			openPodman := func(b string) cliRuntime {
				r := podman.New(b)
				r.LogMaxSize = m.Config.Logs.MaxSize
				return r
			}
			open, key, bin = openPodman, "runtime.podman.binary", c.Podman.Binary
		}
		rt, err := m.cliRuntime(key, bin, open)
		if err != nil {
			return nil, "", err
		}
		rt.SetStoreID(storeID)
		return rt, backend, nil
	}
	return nil, "", fmt.Errorf("%w: runtime.backend = %q is not built into this veloslet yet", ErrConfig, backend)
}

// openFake opens the simulated runtime, shared through its state file when one is set.
func (m *Main) openFake() (*fake.Runtime, error) {
	c := m.Config.Runtime
	var rt *fake.Runtime
	if c.Fake.StateFile == "" {
		rt = fake.New()
	} else {
		// Made like the database's folder: a first `fake faults` or `reconcile`
		// must not fail on a folder nobody was told to create.
		if err := os.MkdirAll(filepath.Dir(c.Fake.StateFile), 0o700); err != nil {
			return nil, fmt.Errorf("create fake state folder: %w", err)
		}
		var err error
		if rt, err = fake.Open(c.Fake.StateFile); err != nil {
			return nil, err
		}
	}
	rt.Prefix, rt.Latency = c.NamePrefix, time.Duration(c.Fake.Latency)
	m.Runtime = rt
	return rt, nil
}

// cliRuntime is a backend that drives a runtime's command-line tool.
type cliRuntime interface {
	runtime.Runtime
	Configure(o runtime.Options)
	SetStoreID(id string)
}

// cliRuntime finds the binary the config names under key, opens the backend
// on it and gives it the prefix and deadlines from the config.
func (m *Main) cliRuntime(key, binary string, open func(bin string) cliRuntime) (cliRuntime, error) {
	c := m.Config.Runtime
	bin, _, err := findBinary(binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %s = %q: %v", errNoRuntime, key, binary, err)
	}
	rt := open(bin)
	rt.Configure(runtime.Options{NamePrefix: c.NamePrefix, CallTimeout: time.Duration(c.CallTimeout),
		RunTimeout: time.Duration(c.RunTimeout), StopTimeout: time.Duration(c.StopTimeout)})
	m.Runtime = rt
	return rt, nil
}
