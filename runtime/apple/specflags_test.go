package apple_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
)

// fieldCase is one spec field on Apple: how it sets the spec, the `run`
// options it must give, what it adds after the image, and the first release
// that has it ("" : every release; "never": none up to 1.2.2).
type fieldCase struct {
	name  string
	set   func(c *vspec.Container, dir string)
	flags func(dir string) []string
	tail  []string
	since string
}

func ports(t testing.TB, s ...string) []vspec.Port {
	var out []vspec.Port
	for _, p := range s {
		v, err := vspec.ParsePort(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func volumes(t testing.TB, s ...string) []vspec.Volume {
	var out []vspec.Volume
	for _, p := range s {
		v, err := vspec.ParseVolume(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func fieldCases(t *testing.T) []fieldCase {
	fixed := func(f ...string) func(string) []string { return func(string) []string { return f } }
	return []fieldCase{
		{name: "entrypoint", set: func(c *vspec.Container, _ string) {
			c.Entrypoint, c.Command = []string{"/bin/sh", "-c"}, []string{"echo hi"}
		}, flags: fixed("--entrypoint", "/bin/sh"), tail: []string{"-c", "echo hi"}},
		{name: "workdir", set: func(c *vspec.Container, _ string) { c.Workdir = "/srv" }, flags: fixed("--workdir", "/srv")},
		{name: "user", set: func(c *vspec.Container, _ string) { c.User = "1000:1000" }, flags: fixed("--user", "1000:1000")},
		{name: "ports", set: func(c *vspec.Container, _ string) { c.Ports = ports(t, "127.0.0.1:8080:80", "5353:53/udp") },
			flags: fixed("--publish", "127.0.0.1:8080:80/tcp", "--publish", "5353:53/udp"), since: "0.3.0"},
		{name: "ports[0] \"[::1]:8443:443/tcp\" (an IPv6 host address)",
			set: func(c *vspec.Container, _ string) { c.Ports = ports(t, "[::1]:8443:443") }, flags: fixed("--publish", "[::1]:8443:443/tcp"), since: "0.8.0"},
		{name: "volumes bind", set: func(c *vspec.Container, dir string) { c.Volumes = volumes(t, dir+":/www:ro") },
			flags: func(dir string) []string { return []string{"--volume", dir + ":/www:ro"} }},
		{name: "volumes named", set: func(c *vspec.Container, _ string) { c.Volumes = volumes(t, "webdata:/data") },
			flags: fixed("--volume", "webdata:/data")},
		{name: "tmpfs", set: func(c *vspec.Container, _ string) { c.Tmpfs = []string{"/run", "/tmp"} },
			flags: fixed("--tmpfs", "/run", "--tmpfs", "/tmp")},
		{name: "network", set: func(c *vspec.Container, _ string) { c.Network = "backend" }, flags: fixed("--network", "backend"), since: "0.2.0"},
		{name: "network_aliases", set: func(c *vspec.Container, _ string) { c.Network, c.NetworkAliases = "backend", []string{"db"} }, since: "never"},
		{name: "read_only", set: func(c *vspec.Container, _ string) { c.ReadOnly = true }, flags: fixed("--read-only"), since: "0.8.0"},
		{name: "init", set: func(c *vspec.Container, _ string) { c.Init = true }, flags: fixed("--init"), since: "0.10.0"},
		{name: "cap_add", set: func(c *vspec.Container, _ string) { c.CapAdd = []string{"NET_ADMIN", "SYS_TIME"} },
			flags: fixed("--cap-add", "NET_ADMIN", "--cap-add", "SYS_TIME"), since: "0.12.0"},
		{name: "cap_drop", set: func(c *vspec.Container, _ string) { c.CapDrop = []string{"ALL"} }, flags: fixed("--cap-drop", "ALL"), since: "0.12.0"},
		{name: "log_max_size", set: func(c *vspec.Container, _ string) { c.LogMaxSize = 1 << 20 }, since: "never"},
	}
}

// older reports whether version a is older than b ("none" is the newest).
func older(a, b string) bool {
	if a == "none" || b == "" {
		return false
	}
	var x, y [3]int
	_, _ = fmt.Sscanf(a, "%d.%d.%d", &x[0], &x[1], &x[2])
	_, _ = fmt.Sscanf(b, "%d.%d.%d", &y[0], &y[1], &y[2])
	return slices.Compare(x[:], y[:]) < 0
}

// TestRun_SpecFieldArgvPerRelease: for each spec field and each emulated
// release, the exact `container run` argv (the field's options after the
// resources, before the progress option and the image; a longer entrypoint's
// later words after the image), which the emulator of that release accepts;
// or, where the release lacks the field's flag, a refusal before any `run`
// that wraps runtime.ErrInvalid and names the field, the release it needs
// and the installed one. network_aliases is refused at every release: no
// tag up to 1.2.2 has --network-alias.
func TestRun_SpecFieldArgvPerRelease(t *testing.T) {
	for _, v := range []string{"0.6.0", "0.9.0", "0.10.0", "0.12.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			for _, fc := range fieldCases(t) {
				t.Run(fc.name, func(t *testing.T) {
					rt, _ := appletest.New(t, v)
					dir := t.TempDir()
					calls := appletest.LogCalls(t, rt)
					c := vspec.Container{Image: "alpine", Command: []string{"sleep", "infinity"}}
					fc.set(&c, dir)
					_, err := rt.Run(context.Background(), runtime.RunSpec{UID: "web", Container: c, Generation: 1, SpecHash: "h1", StoreID: "s"})
					if fc.since == "never" || older(v, fc.since) {
						want := fmt.Sprintf("invalid run spec: %s: needs container %s or later (installed %s)", fc.name, fc.since, v)
						if fc.since == "never" {
							want = "invalid run spec: " + fc.name + ": container has no "
						}
						if !errors.Is(err, runtime.ErrInvalid) || !strings.HasPrefix(fmt.Sprint(err), want) {
							t.Fatalf("run: %v; want %q", err, want)
						}
						if n := calls.Count(t, "run"); n != 0 {
							t.Errorf("%d run calls after the refusal, want none", n)
						}
						return
					}
					if err != nil {
						t.Fatalf("run: %v", err)
					}
					progress := []string{"--progress", "none"}
					if v == "0.6.0" {
						progress = []string{"--disable-progress-updates"}
					}
					want := []string{"run", "--detach", "--name", "velos-web", "--label", "velos.generation=1",
						"--label", "velos.spec-hash=h1", "--label", "velos.store=s", "--label", "velos.uid=web"}
					want = append(append(append(want, fc.flags(dir)...), progress...), "alpine")
					want = append(want, fc.tail...)
					if len(fc.tail) == 0 {
						want = append(want, "sleep", "infinity")
					}
					var got []string
					for _, a := range calls.Argv(t) {
						if a[0] == "run" {
							got = a
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("argv\n%q\nwant\n%q", got, want)
					}
				})
			}
		})
	}
}

// TestRun_StopSettingsLabelled: stop_signal and stop_timeout have no `run`
// flag on any release (no --stop-signal up to 1.2.2); they travel as labels
// for the stop, and nothing else of the argv changes.
func TestRun_StopSettingsLabelled(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	calls := appletest.LogCalls(t, rt)
	c := vspec.Container{Image: "alpine", StopSignal: "SIGQUIT", StopTimeout: vspec.Duration(3 * time.Second)}
	if _, err := rt.Run(context.Background(), runtime.RunSpec{UID: "web", Container: c, Generation: 1, SpecHash: "h1", StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--detach", "--name", "velos-web", "--label", "velos.generation=1",
		"--label", "velos.spec-hash=h1", "--label", "velos.stop-signal=SIGQUIT", "--label", "velos.stop-timeout=3s",
		"--label", "velos.store=s", "--label", "velos.uid=web", "--progress", "none", "alpine"}
	if got := calls.Argv(t)[1]; !slices.Equal(got, want) { // [0] is --version
		t.Errorf("argv\n%q\nwant\n%q", got, want)
	}
}
