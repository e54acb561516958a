package apple_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestRun_EnvOverridesImage: a spec env key the image sets too. Up to 0.9
// both entries are kept and the image's wins inside the container
// (Parser.allEnv, 0.9.0), so Run refuses it, naming the key, and leaves
// nothing running; from 0.10.0 the spec's value replaces the image's.
func TestRun_EnvOverridesImage(t *testing.T) {
	images := filepath.Join(t.TempDir(), "images.json")
	if err := os.WriteFile(images, []byte(`{"app": {"cmd": ["serve"], "env": ["PATH=/bin", "MODE=prod"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"0.6.0", "0.9.0", "0.10.0", "1.2.2"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			rt, _ := appletest.New(t, v)
			rt.Env = append(rt.Env, "CONTAINER_EMU_IMAGES="+images)
			ctx := context.Background()
			_, err := rt.Run(ctx, runtime.RunSpec{UID: "clash", Container: vspec.Container{Image: "app", Env: map[string]string{"MODE": "dev", "OTHER": "x"}}, StoreID: "s"})
			old := v == "0.6.0" || v == "0.9.0"
			if old {
				if !errors.Is(err, runtime.ErrInvalid) || !strings.Contains(err.Error(), "env MODE:") || strings.Contains(err.Error(), "OTHER") {
					t.Fatalf("err %v, want ErrInvalid naming MODE only", err)
				}
				if l, err := rt.List(ctx); err != nil || len(l) != 0 {
					t.Fatalf("left %+v, %v; want nothing", l, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				env := strs(inspect(t, rt, "velos-clash")["initProcess"].(map[string]any)["environment"])
				if !slices.Contains(env, "MODE=dev") || slices.Contains(env, "MODE=prod") {
					t.Fatalf("env %q, want MODE=dev only", env)
				}
			}
			if _, err := rt.Run(ctx, runtime.RunSpec{UID: "fine", Container: vspec.Container{Image: "app", Env: map[string]string{"OTHER": "x"}}, StoreID: "s"}); err != nil {
				t.Fatalf("no clash: %v", err)
			}
		})
	}
}
