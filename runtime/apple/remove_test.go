package apple_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
)

// emuRecord reads the emulator's own record of a container: what the real
// CLI never prints (the exit code, the signal its last stop sent).
func emuRecord(t *testing.T, state, name string) (exitCode, stopSignal int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ExitCode   int `json:"exit_code"`
		StopSignal int `json:"stop_signal"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.ExitCode, c.StopSignal
}

// TestRemove_StopsBeforeDelete: removing (and so replacing) a running
// instance is `stop -t <stop_timeout> [-s <signal>]`, then `delete --force`,
// at every release: `delete --force` alone is a SIGKILL with no grace.
func TestRemove_StopsBeforeDelete(t *testing.T) {
	for _, v := range appletest.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			rt, _ := appletest.New(t, v)
			rt.StopSignal = "SIGINT"
			ctx := context.Background()
			for _, uid := range []string{"a", "b"} {
				if _, err := rt.Run(ctx, runtime.RunSpec{UID: uid, Container: vspec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
					t.Fatal(err)
				}
			}
			calls := appletest.LogCalls(t, rt)
			if err := rt.Remove(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if err := rt.RemoveInstance(ctx, "velos-b"); err != nil {
				t.Fatal(err)
			}
			want := [][]string{
				{"stop", "-t", "1", "-s", "SIGINT", "velos-a"}, {"delete", "--force", "velos-a"},
				{"stop", "-t", "1", "-s", "SIGINT", "velos-b"}, {"delete", "--force", "velos-b"},
			}
			if got := calls.Argv(t); !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("calls %q, want %q", got, want)
			}
			if l, err := rt.List(ctx); err != nil || len(l) != 0 {
				t.Fatalf("after removal: %v, %v", l, err)
			}
		})
	}
}

// TestStop_HonoursTimeoutAndSignal: the stop sends the configured signal
// (the emulator records it and exits 128+signal, as the process would),
// and a process that ignores it is killed after -t seconds (exit 137):
// ContainerStop.swift, -t/--time and -s/--signal at every tag.
func TestStop_HonoursTimeoutAndSignal(t *testing.T) {
	rt, state := appletest.New(t, "1.2.2")
	ctx := context.Background()
	for _, uid := range []string{"polite", "stubborn"} {
		if _, err := rt.Run(ctx, runtime.RunSpec{UID: uid, Container: vspec.Container{Image: "alpine"}, StoreID: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, stderr, code := emu(t, rt.Env, "emu-trap", "velos-stubborn"); code != 0 {
		t.Fatal(stderr)
	}
	rt.StopSignal = "SIGINT"
	if err := rt.Stop(ctx, "polite"); err != nil {
		t.Fatal(err)
	}
	if code, sig := emuRecord(t, state, "velos-polite"); code != 130 || sig != 2 {
		t.Errorf("polite: exit %d after signal %d, want 130 after SIGINT (2)", code, sig)
	}
	if err := rt.Stop(ctx, "stubborn"); err != nil {
		t.Fatal(err)
	}
	if code, _ := emuRecord(t, state, "velos-stubborn"); code != 137 {
		t.Errorf("stubborn: exit %d, want 137: killed after the grace", code)
	}
	if _, stderr, code := emu(t, rt.Env, "stop", "-s", "SIGNOPE", "velos-polite"); code != 1 || stderr == "" {
		t.Errorf("stop -s SIGNOPE: exit %d, %q; want a refusal", code, stderr)
	}
}
