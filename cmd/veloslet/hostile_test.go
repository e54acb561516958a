package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/store"
)

// hostiles are values that try to become flags, split arguments, smuggle
// control characters or overflow: each must be refused with an error that
// names the field, or carried byte for byte.
var hostiles = []struct{ name, value string }{
	{"dash", "-v"},
	{"flag", "--privileged"},
	{"equals", "a=b"},
	{"leading equals", "=x"},
	{"newline", "a\nb"},
	{"carriage return", "a\r\nb"},
	{"NUL", "a\x00b"},
	{"shell", "$(touch${IFS}/tmp/veloslet-pwned)"},
	{"long", strings.Repeat("x", store.MaxValueLen+1)},
	{"non-UTF-8", "\xff\xfe"},
}

// hostileFields places a value in one field of a spec; accepted lists the
// hostiles the field carries (every other one must be refused).
var hostileFields = []struct {
	name, field string // the test's name; the field the refusal names
	place       func(s map[string]any, v string)
	accepted    []string
}{
	{"uid", "uid", func(s map[string]any, v string) { s["uid"] = v }, nil},
	{"image", "image", func(s map[string]any, v string) { s["image"] = v }, []string{"equals", "leading equals", "shell"}},
	{"command", "command", func(s map[string]any, v string) { s["command"] = []string{"echo", v} },
		[]string{"dash", "flag", "equals", "leading equals", "newline", "carriage return", "shell"}},
	{"env key", "env", func(s map[string]any, v string) { s["env"] = map[string]string{v: "x"} }, nil},
	{"env value", "env", func(s map[string]any, v string) { s["env"] = map[string]string{"K": v} },
		[]string{"dash", "flag", "equals", "leading equals", "newline", "carriage return", "shell"}},
	{"label key", "labels", func(s map[string]any, v string) { s["labels"] = map[string]string{v: "x"} }, nil},
	// '=' in a label value is refused: Apple's CLI cannot carry it.
	{"label value", "labels", func(s map[string]any, v string) { s["labels"] = map[string]string{"k": v} },
		[]string{"dash", "flag", "shell"}},
}

// hostileSpec is a JSON spec file with v in the field; raw bytes (not JSON
// escapes) when v is not UTF-8, as a file on disk would hold them.
func hostileSpec(t *testing.T, place func(map[string]any, string), v string) string {
	const mark = "\u2603mark\u2603"
	s := map[string]any{"uid": "h", "image": "busybox", "restart": "never"}
	place(s, mark)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(v)
	if !utf8.ValidString(v) {
		quoted = []byte(`"` + v + `"`) // json.Marshal would write U+FFFD
	}
	return strings.Replace(string(b), `"`+mark+`"`, string(quoted), 1)
}

// TestHostile_Apply tries every hostile value in every field through
// `veloslet apply`: refused ones exit 2 naming the field (and never echo an
// env value); accepted ones are stored byte for byte.
func TestHostile_Apply(t *testing.T) {
	t.Parallel()
	tried, refused := 0, 0
	for _, f := range hostileFields {
		for _, h := range hostiles {
			t.Run(f.name+"/"+h.name, func(t *testing.T) {
				e := newTestEnv(t, "")
				spec := hostileSpec(t, f.place, h.value)
				_, stderr, code := e.run(spec, "apply", "-f", "-")
				tried++
				if !slices.Contains(f.accepted, h.name) {
					refused++
					want := f.field
					if h.name == "non-UTF-8" {
						want = "not valid UTF-8" // the whole file is refused before any field is read
					}
					if code != 2 || !strings.Contains(stderr, want) {
						t.Fatalf("exit %d, stderr %q: want exit 2 and %q", code, stderr, want)
					}
					if f.name == "env value" && strings.Contains(stderr, h.value) {
						t.Fatalf("the refusal shows the env value: %q", stderr)
					}
					return
				}
				if code != 0 {
					t.Fatalf("refused a value the field carries: exit %d: %s", code, stderr)
				}
				specs, err := e.OpenDB().FindSpecs(context.Background())
				if err != nil || len(specs) != 1 {
					t.Fatalf("%d specs, %v", len(specs), err)
				}
				s := specs[0]
				got := map[string]string{"image": s.Image, "env": s.Env["K"], "labels": s.Labels["k"]}
				if len(s.Command) == 2 {
					got["command"] = s.Command[1]
				}
				if got[f.field] != h.value {
					t.Fatalf("%s stored as %q, want %q", f.field, got[f.field], h.value)
				}
			})
		}
	}
	t.Logf("%d hostile inputs tried, %d refused, %d carried", tried, refused, tried-refused)
}

// TestHostile_Podman launches the accepted hostile values with real podman
// and reads them back from the container: each argument, env value and label
// arrives intact, none became a flag, and no shell ran the shell payload.
// The env values are secrets: none appears in the log, events, status,
// plan or metrics, not even when a launch fails.
func TestHostile_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	secret := "S3CRET-" + randomHex(t)
	args := []string{"sleep", "100000", "-v", "--privileged", "a=b", "=x", "a\nb", "a\r\nb", "$(touch${IFS}/tmp/veloslet-pwned)"}
	env := map[string]string{"TOKEN": secret, "DASH": "--privileged", "NL": "a\nb", "EQ": "=x"}
	labels := map[string]string{"dash": "-v", "shell": "$(id)"} // "=" in a label value is refused
	specs := []map[string]any{
		{"uid": "hostile", "image": podmantest.Image, "command": args, "env": env, "labels": labels, "restart": "never"},
		{"uid": "fails", "image": "localhost/veloslet-missing:1", "env": map[string]string{"TOKEN": secret}},
	}
	b, _ := json.Marshal(specs)
	_ = os.Remove("/tmp/veloslet-pwned")
	cfg, _ := os.ReadFile(e.Config)
	if err := os.WriteFile(e.Config, append(cfg, []byte("[http]\nlisten = \"127.0.0.1:0\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(string(b), "apply", "-f", "-")
	d := e.Serve(rt.Env...)
	addr := listenAddr(t, d)
	// Both launches run at once: wait for each, not for the first to end.
	db := e.OpenDB()
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		evs, err := db.FindEvents(context.Background(), store.EventFilter{Kind: store.EventFailed, UID: "fails"})
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("the failing launch has not failed yet (%v)", err)
		}
		evs, err = db.FindEvents(context.Background(), store.EventFilter{Kind: store.EventLaunched, UID: "hostile"})
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("hostile not launched yet (%v)", err)
		}
		return nil
	})

	cmd := exec.Command(rt.Binary, "container", "inspect", rt.Prefix+"hostile")
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	var inspected []struct {
		Path   string
		Args   []string
		Config struct {
			Env    []string
			Labels map[string]string
		}
		HostConfig struct{ Privileged bool }
	}
	if err := json.Unmarshal(out, &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("inspect output: %v", err)
	}
	c := inspected[0]
	if got := append([]string{c.Path}, c.Args...); !slices.Equal(got, args) {
		t.Errorf("command arrived as %q, want %q", got, args)
	}
	for k, v := range env {
		if !slices.Contains(c.Config.Env, k+"="+v) {
			t.Errorf("env %s did not arrive intact: %q", k, c.Config.Env)
		}
	}
	for k, v := range labels {
		if c.Config.Labels[k] != v {
			t.Errorf("label %s arrived as %q, want %q", k, c.Config.Labels[k], v)
		}
	}
	if c.HostConfig.Privileged {
		t.Error("an argument became --privileged")
	}
	if _, err := os.Stat("/tmp/veloslet-pwned"); err == nil {
		t.Error("the shell payload ran")
	}

	// Everywhere an operator looks: not one copy of the secret.
	places := map[string]string{"serve log": d.Stderr.String()}
	for _, verb := range [][]string{{"status"}, {"status", "--json"}, {"events"}, {"events", "--json"}, {"plan"}, {"plan", "--json"}} {
		places[strings.Join(verb, " ")] = e.mustRun("", verb...)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	places["metrics"] = string(body)
	for where, text := range places {
		if strings.Contains(text, secret) {
			t.Errorf("the env value shows in %s", where)
		}
	}
	if !strings.Contains(places["events"], "fails") {
		t.Errorf("events do not mention the failed launch:\n%s", places["events"])
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
