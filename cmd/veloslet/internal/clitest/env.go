package clitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// Env is a config file using the file-backed fake, in a temp dir.
type Env struct {
	T      *testing.T
	Dir    string
	Config string
	DB     string
	Host   string // the fake's state file
}

// NewEnv writes a config and a migrated database (a copy of one migrated
// per test process: migrating anew costs about 1.5 s under the race
// detector); extra goes into [reconcile], fakeExtra into [runtime.fake].
func NewEnv(t *testing.T, extra string, fakeExtra ...string) *Env {
	t.Helper()
	e := NewBareEnv(t, extra, fakeExtra...)
	if err := os.MkdirAll(filepath.Dir(e.DB), 0o700); err != nil {
		t.Fatal(err)
	}
	storetest.MustSeedMigrated(t, e.DB)
	return e
}

// NewBareEnv is NewEnv without the database, for the tests of what
// veloslet does when there is none yet.
func NewBareEnv(t *testing.T, extra string, fakeExtra ...string) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{T: t, Dir: dir, Config: filepath.Join(dir, "veloslet.toml"),
		DB: filepath.Join(dir, "state", "veloslet.db"), Host: filepath.Join(dir, "host.json")}
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "fake"
[runtime.fake]
state_file = %q
%s
[reconcile]
watch_interval = "100ms"
%s`, e.DB, e.Host, strings.Join(fakeExtra, "\n"), extra)
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// Command returns the built binary with the env's config.
func (e *Env) Command(args ...string) *exec.Cmd {
	e.T.Helper()
	cmd := exec.Command(Bin(e.T), args...)
	cmd.Env = append(os.Environ(), EnvConfig+"="+e.Config)
	return cmd
}

// HostList lists the env's simulated host, as another process would.
func (e *Env) HostList() []runtime.Instance {
	e.T.Helper()
	rt, err := fake.Open(e.Host)
	if err != nil {
		e.T.Fatal(err)
	}
	list, err := rt.List(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return list
}

// WaitRunning waits for exactly n instances on the simulated host, all
// running, and returns them.
func (e *Env) WaitRunning(n int) []runtime.Instance {
	e.T.Helper()
	var list []runtime.Instance
	Poll(e.T, func() error {
		list = e.HostList()
		running := 0
		for _, in := range list {
			if in.State == runtime.StateRunning {
				running++
			}
		}
		if running != n || len(list) != n {
			return fmt.Errorf("%d running of %d listed, want %d", running, len(list), n)
		}
		return nil
	})
	return list
}

// OpenDB opens the env's database from the test, as an operator's sqlite3 would.
func (e *Env) OpenDB() *store.DB {
	return storetest.MustOpenDBAt(e.T, e.DB)
}

// WaitPass waits for a finished pass of the trigger.
func (e *Env) WaitPass(db *store.DB, trigger store.Trigger) {
	e.T.Helper()
	Poll(e.T, func() error {
		p, err := db.LastPass(context.Background())
		if err != nil {
			return err
		}
		for id := p.ID; id > 0; id-- {
			q, err := db.FindPassByID(context.Background(), id)
			if err == nil && q.Trigger == trigger && !q.FinishedAt.Time().IsZero() {
				return nil
			}
		}
		return fmt.Errorf("no finished %s pass yet", trigger)
	})
}

// SpecsJSON is n sleeping busybox specs, s000 to s<n-1>, as apply reads them.
func SpecsJSON(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid": "s%03d", "image": "busybox", "command": ["sleep", "infinity"]}`, i)
	}
	return b.String() + "]"
}

// UsePodman rewrites the env's config for the podman backend, naming its
// containers with prefix, with short stops, runtimeKeys added to
// [runtime], and an hourly schedule (tests trigger passes themselves).
func (e *Env) UsePodman(prefix string, runtimeKeys ...string) {
	e.T.Helper()
	cfg := fmt.Sprintf(`[store]
path = %q
[runtime]
backend = "podman"
name_prefix = %q
stop_timeout = "1s"
%s
[reconcile]
schedule = "@every 1h"
watch_interval = "100ms"
concurrency = 8
`, e.DB, prefix, strings.Join(runtimeKeys, "\n"))
	if err := os.WriteFile(e.Config, []byte(cfg), 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// SetSchedule replaces the schedule of the env's config.
func (e *Env) SetSchedule(cron string) {
	e.T.Helper()
	b, err := os.ReadFile(e.Config)
	if err != nil {
		e.T.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^schedule = .*$`)
	if !re.Match(b) {
		e.T.Fatalf("no schedule in %s", e.Config)
	}
	b = re.ReplaceAll(b, []byte(fmt.Sprintf("schedule = %q", cron)))
	if err := os.WriteFile(e.Config, b, 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// Run runs the built binary with the env's config and env added to its
// environment (podman's test environment, say), stdin as its input.
func (e *Env) Run(env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	e.T.Helper()
	cmd := e.Command(args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		e.T.Fatal(err)
	}
	return out.String(), errOut.String(), 0
}

// MustRun is Run, failing the test unless veloslet exits 0.
func (e *Env) MustRun(env []string, stdin string, args ...string) string {
	e.T.Helper()
	out, errOut, code := e.Run(env, stdin, args...)
	if code != 0 {
		e.T.Fatalf("veloslet %s: exit %d: %s%s", strings.Join(args, " "), code, errOut, out)
	}
	return out
}

// PodmanSpecs is n sleeping specs of image, p00 to p<n-1>.
func PodmanSpecs(n int, image string) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid": "p%02d", "image": %q, "command": ["sleep", "100000"]}`, i, image)
	}
	return b.String() + "]"
}

// ByUID maps a list by uid.
func ByUID(list []runtime.Instance) map[string]runtime.Instance {
	m := map[string]runtime.Instance{}
	for _, in := range list {
		m[in.UID] = in
	}
	return m
}

// StatusByUID maps the rows of `status --json` by uid (what precedes a
// NUL, for the hostile uids of the bad-row tests).
func StatusByUID(t *testing.T, statusJSON string) map[string]map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(statusJSON), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, r := range rows {
		uid, _, _ := strings.Cut(fmt.Sprint(r["uid"]), "\x00")
		out[uid] = r
	}
	return out
}
