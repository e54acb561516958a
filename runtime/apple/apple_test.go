package apple_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/supervisor/supervisortest"
)

// The versions run in parallel: each has its own emulated host, and the
// time goes to waiting on the emulator's processes.
func TestContract_Emulator(t *testing.T) {
	for _, v := range appletest.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness { return appletest.Harness(t, v) })
		})
	}
}

func TestCrashRecovery_Emulator(t *testing.T) {
	for _, v := range appletest.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness { return appletest.Harness(t, v) })
		})
	}
}

// inspect returns the emulator's record of a container, as `container inspect` prints it.
func inspect(t *testing.T, rt *apple.Runtime, name string) map[string]any {
	t.Helper()
	cmd := exec.Command(rt.Binary, "inspect", name)
	cmd.Env = append(cmd.Environ(), rt.Env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(out, &objs); err != nil || len(objs) != 1 {
		t.Fatalf("inspect output %s: %v", out, err)
	}
	return objs[0]["configuration"].(map[string]any)
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestRun_ArgumentsStayArguments: arguments that look like flags, and env
// values with '=', spaces and newlines, reach the container intact.
func TestRun_ArgumentsStayArguments(t *testing.T) {
	for _, v := range []string{"0.6.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			rt, _ := appletest.New(t, v)
			spec := runtime.RunSpec{UID: "args",
				Container: vspec.Container{Image: "alpine", Command: []string{"--privileged", "-v", "/:/host", "--name", "evil"}, Env: map[string]string{"A": "x=y", "B": "two words", "C": "line1\nline2", "D": "--rm"}, Memory: 300 << 20, CPUs: 1.5},
				StoreID:   "s"}
			if _, err := rt.Run(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			cfg := inspect(t, rt, "velos-args")
			proc := cfg["initProcess"].(map[string]any)
			if got := append([]string{proc["executable"].(string)}, strs(proc["arguments"])...); !slices.Equal(got, spec.Command) {
				t.Errorf("container command %q, want %q", got, spec.Command)
			}
			env := strs(proc["environment"])
			for _, want := range []string{"A=x=y", "B=two words", "C=line1\nline2", "D=--rm"} {
				if !slices.Contains(env, want) {
					t.Errorf("environment %q lacks %q", env, want)
				}
			}
			res := cfg["resources"].(map[string]any)
			if res["memoryInBytes"].(float64) != 300<<20 || res["cpus"].(float64) < 2 {
				t.Errorf("resources=%v, want 300 MiB and 2 CPUs (rounded up)", res)
			}
		})
	}
}

func TestRun_RefusesFlagsAndLongNames(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	rt.Prefix = "a-long-prefix--"
	spec := runtime.RunSpec{UID: strings.Repeat("u", 49), Container: vspec.Container{Image: "alpine"}, StoreID: "s"}
	if _, err := rt.Run(context.Background(), spec); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("64-character name: err=%v, want ErrInvalid", err)
	}
	for _, img := range []string{"-v", "--privileged", "-"} {
		spec := runtime.RunSpec{UID: "x", Container: vspec.Container{Image: img}, StoreID: "s"}
		if _, err := rt.Run(context.Background(), spec); !errors.Is(err, runtime.ErrInvalid) {
			t.Errorf("image %q: err=%v, want ErrInvalid", img, err)
		}
	}
}

func TestRuntime_ServiceDown(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	rt.Env = append(rt.Env, "CONTAINER_EMU_DOWN=1")
	_, err := rt.List(context.Background())
	if !errors.Is(err, runtime.ErrUnavailable) || !strings.Contains(err.Error(), "container system start") {
		t.Fatalf("err=%v, want ErrUnavailable telling to run `container system start`", err)
	}
	var ce *apple.CommandError
	if !errors.As(err, &ce) || ce.ExitCode != 1 {
		t.Fatalf("err=%v, want a CommandError with exit code 1", err)
	}
}

func TestRuntime_HungCLI(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	rt.Env = append(rt.Env, "CONTAINER_EMU_HANG=list")
	rt.CallTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := rt.List(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err=%v, want the deadline", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("a hung CLI held List for %s", d)
	}
}

func TestRuntime_Version(t *testing.T) {
	for v, want := range map[string]string{"1.2.2": "1.2.2", "0.6.0": "0.6.0", "none": "unknown"} {
		rt, _ := appletest.New(t, v)
		got, err := rt.Version(context.Background())
		if err != nil || got != want {
			t.Errorf("version %s: got %q, %v; want %q", v, got, err, want)
		}
	}
}

func TestCommandError_RedactsEnv(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	spec := runtime.RunSpec{UID: "dup", Container: vspec.Container{Image: "alpine", Env: map[string]string{"TOKEN": "s3cret"}}, StoreID: "s"}
	if _, err := rt.Run(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	_, err := rt.Run(context.Background(), spec)
	var ce *apple.CommandError
	if !errors.Is(err, runtime.ErrExists) || strings.Contains(err.Error(), "s3cret") || !errors.As(err, &ce) ||
		!strings.Contains(strings.Join(ce.Args, " "), "--env TOKEN") || strings.Contains(strings.Join(ce.Args, " "), "s3cret") {
		t.Fatalf("err=%v, want ErrExists whose args name TOKEN without its value", err)
	}
	if !strings.HasPrefix(err.Error(), "container name already in use: Error: container with id velos-dup already exists (container run, exit 1)") {
		t.Fatalf("err=%v, want the CLI's own Error: line first, then the verb", err)
	}
}

// TestRun_EnvOffArgv: env values reach the container exactly while the
// command line carries only bare names (the emulator refuses `--env K=V` in
// its test mode); keys the CLI reads itself (PATH, HOME, XDG_*) travel in an
// env file that is gone once the call returns.
func TestRun_EnvOffArgv(t *testing.T) {
	for _, v := range []string{"0.6.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			rt, _ := appletest.New(t, v)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp) // where the env file's folder is made
			env := map[string]string{
				"API_TOKEN": "s3cr3t-probe", "MULTI": "line1\nline2", "QUOTED": `"q" x`, "EMPTY": "",
				"PATH": "/app/bin:/usr/bin", "HOME": "/srv/app", "XDG_CONFIG_HOME": "/srv/cfg",
			}
			if v == "0.6.0" {
				// alpine sets PATH, which up to 0.9 the spec cannot override
				// (TestRun_EnvOverridesImage): the CLI-read key here is HOME.
				delete(env, "PATH")
			}
			spec := runtime.RunSpec{UID: "envs", Container: vspec.Container{Image: "alpine", Env: env}, StoreID: "s"}
			if _, err := rt.Run(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			got := strs(inspect(t, rt, "velos-envs")["initProcess"].(map[string]any)["environment"])
			for k, val := range env {
				if !slices.Contains(got, k+"="+val) {
					t.Errorf("environment %q lacks %s", got, k)
				}
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("env file left behind: %v", left)
			}
		})
	}
}

// TestRun_EnvFileRefusesWhatItCannotCarry: a key the CLI reads itself can
// only go through the env file, so a value that file cannot carry exactly is
// refused, naming the key and never the value.
func TestRun_EnvFileRefusesWhatItCannotCarry(t *testing.T) {
	rt, _ := appletest.New(t, "1.2.2")
	for _, val := range []string{"a1\nb1", " a2b2", "a3b3 ", `"a4b4"`, ""} {
		spec := runtime.RunSpec{UID: "bad", Container: vspec.Container{Image: "alpine", Env: map[string]string{"PATH": val}}, StoreID: "s"}
		_, err := rt.Run(context.Background(), spec)
		if !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "PATH") || (val != "" && strings.Contains(err.Error(), val)) {
			t.Errorf("PATH=%q: err=%v, want ErrInvalid naming PATH without the value", val, err)
		}
	}
}

// TestEmulator_RefusesEnvValueOnArgv: the guard the tests above rely on.
func TestEmulator_RefusesEnvValueOnArgv(t *testing.T) {
	state := t.TempDir()
	cmd := exec.Command(appletest.Emulator(t), "run", "--detach", "--name", "velos-x", "--env", "K=V", "alpine")
	cmd.Env = append(os.Environ(), appletest.Env(state, "1.2.2")...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 64 {
		t.Fatalf("run --env K=V: err=%v (%s), want exit 64", err, out)
	}
}

// TestRuntime_DecidesWithoutWording: with every error message reworded,
// a taken name is still ErrExists, stopping or deleting a missing container
// still succeeds, and a failure that leaves the container in place is
// still an error.
func TestRuntime_DecidesWithoutWording(t *testing.T) {
	for _, v := range []string{"0.9.0", "0.10.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			rt, _ := appletest.New(t, v)
			rt.Env = append(rt.Env, "CONTAINER_EMU_REWORD=1")
			ctx := context.Background()
			spec := runtime.RunSpec{UID: "w", Container: vspec.Container{Image: "alpine"}, StoreID: "s"}
			if _, err := rt.Run(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if _, err := rt.Run(ctx, spec); !errors.Is(err, runtime.ErrExists) {
				t.Errorf("second run: err=%v, want ErrExists", err)
			}
			for _, uid := range []string{"missing", "w"} {
				if err := rt.Stop(ctx, uid); err != nil {
					t.Errorf("stop %s: %v", uid, err)
				}
				if err := rt.Remove(ctx, uid); err != nil {
					t.Errorf("remove %s: %v", uid, err)
				}
			}
			if list, err := rt.List(ctx); err != nil || len(list) != 0 {
				t.Errorf("list after removal: %v, %v", list, err)
			}
		})
	}
}
