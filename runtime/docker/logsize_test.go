package docker_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	vspec "github.com/veloslet/veloslet/spec"
)

// TestRun_LogMaxSize: with LogMaxSize set, a container that prints far
// more than it keeps a log file of about that size, not of all it printed.
func TestRun_LogMaxSize(t *testing.T) {
	rt, _ := dockertest.New(t)
	rt.LogMaxSize = 10_000
	ctx := ctxT(t)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "loud", Container: vspec.Container{Image: dockertest.Image, Command: []string{"sh", "-c",
		`i=0; while [ $i -lt 3000 ]; do echo "line $i of 3000, some fifty bytes of text to fill"; i=$((i+1)); done`}}})
	if err != nil {
		t.Fatal(err)
	}
	var path string
	api := dockertest.Client(t, rt)
	for deadline := time.Now().Add(30 * time.Second); ; {
		res, err := api.ContainerInspect(ctx, string(id), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Container.State != nil && !res.Container.State.Running && res.Container.State.Status != "created" {
			path = res.Container.LogPath
			t.Logf("log config %+v, path %s", res.Container.HostConfig.LogConfig, path)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the container did not exit")
		}
		time.Sleep(50 * time.Millisecond)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	if fi.Size() > 2*rt.LogMaxSize {
		t.Fatalf("log file %s holds %d bytes, want at most about %d (the container printed some 170 KB)", path, fi.Size(), rt.LogMaxSize)
	}
}

// TestLogsSince: a container started again in place keeps every run's
// output; Since set to the last run's start reads that run's alone.
func TestLogsSince(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx := ctxT(t)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "runs", Container: vspec.Container{Image: dockertest.Image, Command: []string{"sh", "-c",
		`n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo "run $n"; sleep 1; exit 3`}}})
	if err != nil {
		t.Fatal(err)
	}
	exited := func() runtime.Instance {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; {
			list, err := rt.List(ctx)
			if err == nil && len(list) == 1 && list[0].State == runtime.StateExited && list[0].ExitCode != nil {
				return list[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("container did not exit: %+v, %v", list, err)
			}
			time.Sleep(100 * time.Millisecond) // polling the runtime with a deadline
		}
	}
	exited()
	if err := rt.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	second := exited()
	var all, last bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 10}, &all); err != nil || all.String() != "run 1\nrun 2\n" {
		t.Fatalf("all runs: %q, %v", all.String(), err)
	}
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 10, Since: second.StartedAt}, &last); err != nil || last.String() != "run 2\n" {
		t.Fatalf("since the last start (%v): %q, %v; want the last run's alone", second.StartedAt, last.String(), err)
	}
}
