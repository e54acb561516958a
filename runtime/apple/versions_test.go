package apple_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/spec"
)

// emu runs the emulator directly with extra environment and returns its
// stdout, stderr and exit code.
func emu(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	stdout, stderr, code, err := emuRun(env, appletest.Emulator(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	return stdout, stderr, code
}

// emuRun runs binary with args and env added to ours.
func emuRun(env []string, binary string, args ...string) (string, string, int, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return "", "", -1, err
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode(), nil
}

// TestEmulator_DeleteMissingWording: what `delete` of a missing container
// prints at each release (read from ContainerDelete.swift of each tag).
func TestEmulator_DeleteMissingWording(t *testing.T) {
	for v, want := range map[string]string{
		"0.9.0":  `Error: notFound: "failed to delete one or more containers: ["velos-gone"]"`,
		"0.10.0": `Error: failed to delete one or more containers: ["velos-gone"]`,
		"1.2.2":  `Error: internalError: "failed to delete container" (cause: "notFound: "container with ID velos-gone not found"")`,
	} {
		_, stderr, code := emu(t, appletest.Env(t.TempDir(), v), "delete", "--force", "velos-gone")
		if code != 1 || strings.TrimSpace(stderr) != want {
			t.Errorf("%s: exit %d, stderr %q; want exit 1, %q", v, code, stderr, want)
		}
	}
}

// TestRemove_MissingNoSecondLook: stopping or removing a container that is
// not there succeeds at every release, decided by the exact sentence the
// release prints for that container, with no second look. From 0.11 the
// removal's graceful stop already fails with it (one call); up to 0.10 that
// stop exits 0 silently and the delete's sentence decides (two calls).
// 0.10's bare "failed to delete one or more containers" is one of them.
func TestRemove_MissingNoSecondLook(t *testing.T) {
	for _, v := range appletest.Versions {
		t.Run(v, func(t *testing.T) {
			rt, _ := appletest.New(t, v)
			calls := appletest.LogCalls(t, rt)
			ctx := context.Background()
			if err := rt.Remove(ctx, "gone"); err != nil {
				t.Errorf("remove: %v", err)
			}
			if err := rt.Stop(ctx, "gone"); err != nil {
				t.Errorf("stop: %v", err)
			}
			want := 2 // remove's stop, and the stop
			if v == "0.6.0" || v == "0.9.0" || v == "0.10.0" {
				want = 3 // and remove's delete
			}
			if got := calls.Lines(t); len(got) != want || calls.Count(t, "list") != 0 {
				t.Errorf("calls %q, want %d and no list", got, want)
			}
		})
	}
}

// TestRemove_OtherFailureStands: a delete that fails for another reason
// (an injected failure) while the container stays is an error: the second
// look finds it.
func TestRemove_OtherFailureStands(t *testing.T) {
	rt, state := appletest.New(t, "1.2.2")
	ctx := context.Background()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "kept", Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	// A fault setting that fails the very next call of this folder.
	if _, stderr, code := emu(t, appletest.Env(state, "1.2.2"), "emu-faults", "rate=1,kinds=fail"); code != 0 {
		t.Fatal(stderr)
	}
	err := rt.Remove(ctx, "kept")
	if _, stderr, code := emu(t, appletest.Env(state, "1.2.2"), "emu-faults", "off"); code != 0 {
		t.Fatal(stderr)
	}
	if err == nil {
		t.Fatal("remove that failed with the container in place: no error")
	}
	if l, err := rt.List(ctx); err != nil || len(l) != 1 {
		t.Fatalf("list %v, %v: want the container still there", l, err)
	}
}

// TestRun_VersionOncePerPass: the CLI's version is asked once per pass (a
// pass starts with List), however many launches run at once, and again in
// the next pass.
func TestRun_VersionOncePerPass(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	calls := appletest.LogCalls(t, rt)
	ctx := context.Background()
	for pass := 1; pass <= 2; pass++ {
		if _, err := rt.List(ctx); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				uid := string(rune('a'+i)) + string(rune('0'+pass))
				if _, err := rt.Run(ctx, runtime.RunSpec{UID: uid, Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got := calls.Count(t, "--version"); got != pass {
			t.Fatalf("after pass %d: %d version calls, want %d", pass, got, pass)
		}
	}
}

// TestRun_CLIUpgradedUnderUs: the CLI goes from 0.6 (which wants
// --disable-progress-updates) to 0.9 (which refuses it with exit 64) while
// the daemon runs. Launches work in the next pass and, in the same pass, the
// refused launch asks the version again and succeeds; a downgrade likewise.
func TestRun_CLIUpgradedUnderUs(t *testing.T) {
	rt, state := appletest.New(t, "0.6.0")
	ctx := context.Background()
	run := func(uid string) error {
		_, err := rt.Run(ctx, runtime.RunSpec{UID: uid, Container: spec.Container{Image: "alpine"}, StoreID: "s"})
		return err
	}
	if _, err := rt.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := run("before"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ version, uid string }{{"0.9.0", "same-pass"}, {"0.6.0", "downgraded"}} {
		rt.Env = appletest.Env(state, tc.version)
		if err := run(tc.uid); err != nil {
			t.Fatalf("%s in the same pass after a change to %s: %v", tc.uid, tc.version, err)
		}
	}
	rt.Env = appletest.Env(state, "1.2.2")
	if _, err := rt.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := run("next-pass"); err != nil {
		t.Fatalf("next pass after an upgrade to 1.2.2: %v", err)
	}
	l, _ := rt.List(ctx)
	if len(l) != 4 {
		t.Fatalf("%d containers, want 4", len(l))
	}
}

// TestRun_EmptyEnvValue: an empty value arrives empty at every release. It
// travels as a bare `--env KEY` with KEY="" in the CLI's environment, which
// every tag looks up and takes as it is; the form `--env KEY=` would be lost
// up to 0.7.1 (see TestEmulator_EnvEqualsEmpty).
func TestRun_EmptyEnvValue(t *testing.T) {
	for _, v := range []string{"0.6.0", "0.7.1", "0.9.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			rt, _ := appletest.New(t, v)
			spec := runtime.RunSpec{UID: "e", Container: spec.Container{Image: "alpine", Env: map[string]string{"EMPTY": "", "FULL": "x"}}, StoreID: "s"}
			if _, err := rt.Run(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			env := strs(inspect(t, rt, "velos-e")["initProcess"].(map[string]any)["environment"])
			if !slices.Contains(env, "EMPTY=") || !slices.Contains(env, "FULL=x") {
				t.Fatalf("environment %q, want EMPTY= and FULL=x", env)
			}
		})
	}
}

// TestEmulator_EnvEqualsEmpty: `--env K=` on the command line. Up to 0.7.1
// Parser.env splits "K=" into one piece and looks up the name "K=", which
// no environment has: K is dropped even when the CLI's own K is set. From
// 0.8 it sets K to "".
func TestEmulator_EnvEqualsEmpty(t *testing.T) {
	for v, want := range map[string]string{"0.6.0": "", "0.7.1": "", "0.8.0": "K=", "1.2.2": "K="} {
		state := t.TempDir()
		env := append(appletest.Env(state, v)[:2], "K=from-host")
		if _, stderr, code := emu(t, env, "run", "--detach", "--name", "velos-k", "--env", "K=", "alpine"); code != 0 {
			t.Fatalf("%s: %s", v, stderr)
		}
		out, _, _ := emu(t, env, "inspect", "velos-k")
		got := ""
		if i := strings.Index(out, `"K=`); i >= 0 {
			got = out[i+1 : i+1+strings.IndexByte(out[i+1:], '"')]
		}
		if got != want {
			t.Errorf("%s: container env has %q, want %q", v, got, want)
		}
	}
}

// TestEmulator_SystemStatusDown: with the service down, `system status`
// prints "apiserver is not running" on stdout (exit 1), and other calls
// fail with an XPC error on stderr, which the backend reports as
// ErrUnavailable (TestRuntime_ServiceDown).
func TestEmulator_SystemStatusDown(t *testing.T) {
	env := append(appletest.Env(t.TempDir(), "1.2.2"), "CONTAINER_EMU_DOWN=1")
	stdout, stderr, code := emu(t, env, "system", "status")
	if code != 1 || strings.TrimSpace(stdout) != "apiserver is not running" || stderr != "" {
		t.Fatalf("system status: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestEmulator_ImageEntrypoint: the container's command is built as
// Parser.process builds it at every tag: the image's entrypoint, then the
// arguments after the image or else the image's cmd; --entrypoint replaces
// the entrypoint and drops the cmd; nothing at all is refused.
func TestEmulator_ImageEntrypoint(t *testing.T) {
	images := t.TempDir() + "/images.json"
	if err := os.WriteFile(images, []byte(`{
		"example/ep": {"entrypoint": ["/entry", "-x"], "cmd": ["serve"], "env": ["FROM_IMAGE=1", "EMPTY_IN_IMAGE="]},
		"example/none": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		version string
		args    []string
		want    string // executable and arguments, space-separated; "" for a refusal
		env     string
	}{
		{"1.2.2", []string{"example/ep"}, "/entry -x serve", "FROM_IMAGE=1 EMPTY_IN_IMAGE="},
		{"1.2.2", []string{"example/ep", "run", "--fast"}, "/entry -x run --fast", ""},
		{"1.2.2", []string{"--entrypoint", "/bin/other", "example/ep"}, "/bin/other", ""},
		{"1.2.2", []string{"--entrypoint", "/bin/other", "example/ep", "a"}, "/bin/other a", ""},
		{"1.2.2", []string{"example/none"}, "", ""},
		{"1.2.2", []string{"alpine"}, "/bin/sh", ""},
		{"0.6.0", []string{"example/ep"}, "/entry -x serve", "FROM_IMAGE=1"}, // image env goes through Parser.env: "K=" lost up to 0.7.1
	} {
		env := append(appletest.Env(t.TempDir(), tc.version)[:2], "CONTAINER_EMU_IMAGES="+images)
		name := fmt.Sprintf("velos-i%d", i)
		_, stderr, code := emu(t, env, append([]string{"run", "--detach", "--name", name}, tc.args...)...)
		if tc.want == "" {
			if code != 1 || !strings.Contains(strings.ToLower(stderr), `"command/entrypoint not specified`) {
				t.Errorf("%v: exit %d, %q; want the refusal", tc.args, code, stderr)
			}
			continue
		}
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		out, _, _ := emu(t, env, "inspect", name)
		var objs []map[string]any
		if err := json.Unmarshal([]byte(out), &objs); err != nil || len(objs) != 1 {
			t.Fatalf("inspect: %v: %s", err, out)
		}
		proc := objs[0]["configuration"].(map[string]any)["initProcess"].(map[string]any)
		got := strings.Join(append([]string{proc["executable"].(string)}, strs(proc["arguments"])...), " ")
		if got != tc.want {
			t.Errorf("%s %v: command %q, want %q", tc.version, tc.args, got, tc.want)
		}
		if gotEnv := strings.Join(strs(proc["environment"]), " "); tc.env != "" && gotEnv != tc.env {
			t.Errorf("%s %v: environment %q, want %q", tc.version, tc.args, gotEnv, tc.env)
		}
	}
}

// TestRun_VersionUnansweredKeepsLast: when `--version` does not answer in a
// new pass, launches go on with the version known from before.
func TestRun_VersionUnansweredKeepsLast(t *testing.T) {
	rt, _ := appletest.New(t, "0.6.0")
	ctx := context.Background()
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "a", Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatal(err)
	}
	rt.Env = append(rt.Env, "CONTAINER_EMU_HANG=--version")
	rt.CallTimeout = 300 * time.Millisecond
	if _, err := rt.List(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "b", Container: spec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
		t.Fatalf("launch with --version hung: %v", err)
	}
}
