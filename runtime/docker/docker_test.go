package docker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/supervisor/supervisortest"
)

func TestContract_Docker(t *testing.T) {
	runtimetest.RunContract(t, func(t *testing.T) *runtimetest.Harness { return dockertest.Harness(t) })
}

func TestCrashRecovery_Docker(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness { return dockertest.Harness(t) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func find(t *testing.T, rt *docker.Runtime, uid string) *runtime.Instance {
	t.Helper()
	list, err := rt.List(ctxT(t))
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for i := range list {
		if list[i].UID == uid {
			return &list[i]
		}
	}
	return nil
}

func poll(t *testing.T, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The create body carries env, limits and labels; the container sees them.
func TestRunCarriesSpec(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx := ctxT(t)
	spec := runtime.RunSpec{UID: "a",
		Container:  spec.Container{Image: dockertest.Image, Command: []string{"sleep", "1000"}, Env: map[string]string{"GREETING": "a=b c\nline two", "PATH": "/bin"}, CPUs: 0.5, Memory: 64 << 20, Labels: map[string]string{"team": "ops"}},
		Generation: 2,
		SpecHash:   "h",
		StoreID:    "s1"}
	id, err := rt.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dockertest.Client(t, rt).ContainerInspect(ctx, string(id), client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hc := res.Container.HostConfig
	if hc.NanoCPUs != 5e8 || hc.Memory != 64<<20 {
		t.Errorf("NanoCPUs %d, Memory %d: want 5e8 and %d", hc.NanoCPUs, hc.Memory, 64<<20)
	}
	for k, v := range spec.AllLabels() {
		if got := res.Container.Config.Labels[k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	out, err := dockertest.Exec(ctx, rt, string(id), "sh", "-c", `printf %s "$GREETING"`)
	if err != nil || out != spec.Env["GREETING"] {
		t.Fatalf("GREETING in the container: %q, %v; want %q", out, err, spec.Env["GREETING"])
	}
	if _, err := rt.Run(ctx, spec); !errors.Is(err, runtime.ErrExists) {
		t.Fatalf("second run: %v, want ErrExists", err)
	}
}

// A missing image is pulled; a pull that fails is the run's error, with
// the registry's message, and leaves no container behind.
func TestRunPullFailure(t *testing.T) {
	rt, _ := dockertest.New(t)
	spec := runtime.RunSpec{UID: "p", Container: spec.Container{Image: "127.0.0.1:1/veloslet/none:1"}, StoreID: "s1"}
	var pulling []string
	ctx := runtime.WithPullStarted(ctxT(t), func(image string) { pulling = append(pulling, image) })
	_, err := rt.Run(ctx, spec)
	if err == nil {
		t.Fatal("run of an image nobody serves succeeded")
	}
	if len(pulling) != 1 || pulling[0] != spec.Image {
		t.Fatalf("pulls reported %q, want the one of %s", pulling, spec.Image)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("error %q does not carry the registry's message", err)
	}
	if in := find(t, rt, "p"); in != nil {
		t.Fatalf("a failed pull left %+v", in)
	}
}

func TestStartLogsRemoveInstance(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx := ctxT(t)
	spec := runtime.RunSpec{UID: "l",
		Container: spec.Container{Image: dockertest.Image, Command: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}},
		StoreID:   "s1"}
	id, err := rt.Run(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		if in := find(t, rt, "l"); in == nil || in.State != runtime.StateExited || in.ExitCode == nil || *in.ExitCode != 3 {
			return fmt.Errorf("want exited with code 3, have %+v", in)
		}
		return nil
	})
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		var b bytes.Buffer
		if err := rt.Logs(ctx, id, runtime.LogOptions{}, &b); err != nil {
			return err
		}
		if n := strings.Count(b.String(), "out\n"); n != 2 || strings.Count(b.String(), "err\n") != 2 {
			return fmt.Errorf("logs after a restart in place: %q", b.String())
		}
		return nil
	})
	var tail bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 1}, &tail); err != nil || strings.Count(tail.String(), "\n") != 1 {
		t.Fatalf("tail 1: %q, %v", tail.String(), err)
	}
	if err := rt.RemoveInstance(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := rt.RemoveInstance(ctx, id); err != nil {
		t.Fatalf("second RemoveInstance: %v", err)
	}
	for name, err := range map[string]error{
		"start": rt.Start(ctx, id), "logs": rt.Logs(ctx, id, runtime.LogOptions{}, &tail),
	} {
		if !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("%s of a removed container: %v, want ErrNotFound", name, err)
		}
	}
}

// With StoreID set, List finds this store's containers whatever their
// name, their uid from the label; another store's are not listed.
func TestListByStoreLabel(t *testing.T) {
	rt, s := dockertest.New(t)
	rt.StoreID = rt.Prefix + "s1" // of this test alone: a shared server sees other tests' containers
	ctx := ctxT(t)
	other := s.Runtime(t)
	mk := func(uid, store string) runtime.InstanceID {
		id, err := other.Run(ctx, runtime.RunSpec{UID: uid, Container: spec.Container{Image: dockertest.Image, Command: []string{"sleep", "1000"}}, StoreID: store})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mine, theirs := mk("renamed", rt.StoreID), mk("elsewhere", rt.Prefix+"s2")
	in := find(t, rt, "renamed")
	if in == nil || in.ID != mine || in.Name != other.Prefix+"renamed" || in.State != runtime.StateRunning {
		t.Fatalf("listed by label: %+v", in)
	}
	if in := find(t, rt, "elsewhere"); in != nil {
		t.Fatalf("another store's container listed: %+v (id %s)", in, theirs)
	}
}

func TestUnavailable(t *testing.T) {
	rt, err := docker.New("unix://" + filepath.Join(t.TempDir(), "none.sock"))
	if err != nil {
		t.Fatal(err)
	}
	rt.CallTimeout = 5 * time.Second
	ctx := ctxT(t)
	if _, err := rt.List(ctx); !errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("list: %v, want ErrUnavailable", err)
	}
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "u", Container: spec.Container{Image: "x"}}); !errors.Is(err, runtime.ErrUnavailable) {
		t.Fatalf("run: %v, want ErrUnavailable", err)
	}
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "-u", Container: spec.Container{Image: "x"}}); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("run: %v, want ErrInvalid", err)
	}
}
