package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// container is one emulated container as stored in the state folder.
type container struct {
	ID     string            `json:"id"`
	Image  string            `json:"image"`
	Exec   string            `json:"executable"`
	Args   []string          `json:"arguments"`
	Env    []string          `json:"environment"`
	Labels map[string]string `json:"labels"`
	CPUs   int               `json:"cpus"`
	Memory int64             `json:"memory"`
	// The options of runflags.go.
	Workdir  string        `json:"workdir,omitempty"`
	User     string        `json:"user,omitempty"`
	Ports    []publishPort `json:"ports,omitempty"`
	Mounts   []mount       `json:"mounts,omitempty"`
	Network  string        `json:"network,omitempty"`
	ReadOnly bool          `json:"read_only,omitempty"`
	Init     bool          `json:"init,omitempty"`
	CapAdd   []string      `json:"cap_add,omitempty"`
	CapDrop  []string      `json:"cap_drop,omitempty"`
	State    string        `json:"state"` // running, stopped
	Started  *time.Time    `json:"started,omitempty"`
	ExitCode int           `json:"exit_code"` // kept, never printed: the real CLI has none
	// StopSignal is the signal the last stop sent (0: none); Trap makes
	// the process ignore all but SIGKILL (emu-trap). Never printed.
	StopSignal int  `json:"stop_signal,omitempty"`
	Trap       bool `json:"trap,omitempty"`
	// Ghost: a VM of this container runs on although the apiserver lost it
	// (see restartService); delete ends it. Never printed.
	Ghost bool `json:"ghost,omitempty"`
	// Files are the paths `exec touch` made in its filesystem (exec.go).
	Files     map[string]bool `json:"files,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

type emu struct {
	dir     string
	version [3]int
	noVer   bool
	down    bool
}

func newEmu() (*emu, error) {
	dir := os.Getenv("CONTAINER_EMU_STATE")
	if dir == "" {
		return nil, errors.New("CONTAINER_EMU_STATE is not set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	e := &emu{dir: dir, down: os.Getenv("CONTAINER_EMU_DOWN") == "1"} // read again under the lock
	v := os.Getenv("CONTAINER_EMU_VERSION")
	switch v {
	case "none":
		e.noVer, e.version = true, [3]int{1, 2, 2}
	case "":
		e.version = [3]int{1, 2, 2}
	default:
		parts := strings.Split(v, ".")
		for i := 0; i < 3 && i < len(parts); i++ {
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return nil, fmt.Errorf("CONTAINER_EMU_VERSION %q: %v", v, err)
			}
			e.version[i] = n
		}
	}
	return e, nil
}

func (e *emu) versionText() string {
	if e.noVer {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", e.version[0], e.version[1], e.version[2])
}

func (e *emu) commit() string {
	if e.noVer {
		return ""
	}
	return "0190097"
}

// atLeast reports whether the emulated version is at least maj.min.
func (e *emu) atLeast(maj, min int) bool {
	return e.version[0] > maj || (e.version[0] == maj && e.version[1] >= min)
}

// lock serialises emulator processes sharing the folder, as the real
// service serialises requests.
func (e *emu) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(e.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { _ = f.Close() }, nil
}

func (e *emu) path(id string) string { return filepath.Join(e.dir, id+".json") }

func (e *emu) load(id string) (*container, error) {
	b, err := os.ReadFile(e.path(id))
	if err != nil {
		return nil, err
	}
	var c container
	return &c, json.Unmarshal(b, &c)
}

func (e *emu) save(c *container) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := e.path(c.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, e.path(c.ID))
}

func (e *emu) all() ([]*container, error) {
	names, err := filepath.Glob(filepath.Join(e.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*container
	for _, n := range names {
		c, err := e.load(strings.TrimSuffix(filepath.Base(n), ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// seedBuilder adds the image builder's container, which real hosts list and
// which is not ours. It runs under the state lock: two first calls at once
// would race on the same temporary file.
func (e *emu) seedBuilder() error {
	if _, err := os.Stat(e.path("buildkit")); err == nil {
		return nil
	}
	now := time.Now().UTC()
	return e.save(&container{ID: "buildkit", Image: "ghcr.io/apple/container-builder-shim/builder:0.6.1",
		Exec: "/usr/local/bin/container-builder-shim", Labels: map[string]string{"com.apple.container.resource.role": "builder"},
		State: "running", Started: &now, CreatedAt: now})
}
