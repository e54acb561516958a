package podman_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/internal/cli"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	vspec "github.com/veloslet/veloslet/spec"
)

// standIn returns a backend whose podman is script, a shell script that
// plays podman's part (its arguments in "$@").
func standIn(t *testing.T, script string) *podman.Runtime {
	t.Helper()
	path := filepath.Join(t.TempDir(), "podman")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return podman.New(path)
}

// heapPeak samples the heap in use until stop is called, which returns the
// highest sample.
func heapPeak() (stop func() uint64) {
	var (
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	goruntime.GC() // what earlier tests left is not counted
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var m goruntime.MemStats
			goruntime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// TestList_EndlessOutput: a podman whose `ps` prints without end is stopped
// at cli.MaxStdout, with an error naming it, not at the call's deadline.
func TestList_EndlessOutput(t *testing.T) {
	rt := standIn(t, `exec yes '{"Id":"0123456789abcdef","Names":["velos-a"],"State":"running"},'`)
	rt.CallTimeout = time.Hour
	_, err := rt.List(context.Background())
	if !errors.Is(err, cli.ErrOutputTooLarge) || !strings.Contains(err.Error(), "exceeds 33554432 bytes") {
		t.Fatalf("List: %v, want ErrOutputTooLarge naming the limit", err)
	}
}

// TestWatch_EndlessEventLine: an event line that never ends stops Watch at
// MaxEventLine, naming it.
func TestWatch_EndlessEventLine(t *testing.T) {
	rt := standIn(t, `[ "$1" = events ] || exit 1
printf '{"Status":"died","Name":"velos-a","Attributes":{"x":"'
exec tr '\0' a </dev/zero`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := rt.Watch(ctx, make(chan runtime.Event, 1))
	if err == nil || !strings.Contains(err.Error(), "a line exceeds 1048576 bytes") {
		t.Fatalf("Watch: %v, want the line limit named", err)
	}
}

// TestLogsUntil_LongLinesBounded: a crash-log read (Until set) of output
// made of 2 MB lines holds each line only up to MaxLogLine: the lines come
// back cut, with a marker, and the heap stays far below what the lines
// weigh (80 MB; whole lines held cost that and more).
func TestLogsUntil_LongLinesBounded(t *testing.T) {
	rt := standIn(t, `[ "$1" = logs ] || exit 1
i=0
while [ $i -lt 40 ]; do
	printf '2020-01-01T00:00:00.%09dZ ' $i
	head -c 2000000 /dev/zero | tr '\0' a
	echo
	i=$((i+1))
done`)
	stop := heapPeak()
	var out bytes.Buffer
	err := rt.Logs(context.Background(), "abc", runtime.LogOptions{Tail: 200, Until: time.Now()}, &out)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 40 {
		t.Fatalf("%d lines, want 40", len(lines))
	}
	for _, l := range lines {
		if len(l) > podman.MaxLogLine+64 || !strings.HasSuffix(l, "bytes cut]") {
			t.Fatalf("a line of %d bytes ends %q, want it cut at %d", len(l), l[max(0, len(l)-30):], podman.MaxLogLine)
		}
	}
	t.Logf("heap peak %d MB", peak>>20)
	if peak > 40<<20 {
		t.Fatalf("heap in use peaked at %d MB", peak>>20)
	}
}

// TestLogs_CallerDeadlineNamed: a logs read under its caller's deadline
// (the crash log's [logs] timeout) is cut at that deadline, whatever
// CallTimeout says, and the error names it.
func TestLogs_CallerDeadlineNamed(t *testing.T) {
	rt := standIn(t, `echo started; exec sleep 30`)
	rt.CallTimeout = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	for _, until := range []time.Time{{}, time.Now()} {
		err := rt.Logs(ctx, "abc", runtime.LogOptions{Tail: 5, Until: until}, &bytes.Buffer{})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "within 300ms") {
			t.Fatalf("Logs (until %v): %v, want the 300ms deadline named", until, err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
	}
}

// TestRun_LogMaxSize: with LogMaxSize set, `podman run` gets --log-opt
// max-size and a container that prints far more keeps a log file of about
// that size (podman cuts its k8s-file log there).
func TestRun_LogMaxSize(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t)
	rt.LogMaxSize = 10_000
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "loud", Container: vspec.Container{Image: podmantest.Image, Command: []string{"sh", "-c",
		`i=0; while [ $i -lt 3000 ]; do echo "line $i of 3000, some fifty bytes of text to fill"; i=$((i+1)); done`}}, StoreID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		list, err := rt.List(ctx)
		if err == nil && len(list) == 1 && list[0].State == runtime.StateExited {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container did not exit: %+v, %v", list, err)
		}
		time.Sleep(100 * time.Millisecond) // polling the runtime with a deadline
	}
	cmd := exec.Command(rt.Binary, "inspect", "--format", "{{.HostConfig.LogConfig.Path}}", string(id))
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman inspect: %v", err)
	}
	fi, err := os.Stat(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	if fi.Size() > 2*rt.LogMaxSize {
		t.Fatalf("log file holds %d bytes, want at most about %d (the container printed some 170 KB)", fi.Size(), rt.LogMaxSize)
	}
}

// TestRuntime_LogsSince: a container started again in place keeps the
// output of every run in its log; Since set to the last run's start (as
// List gives it, to the second) reads that run's alone, with Until too.
func TestRuntime_LogsSince(t *testing.T) {
	ctx := context.Background()
	rt := podmantest.New(t)
	// Each run prints its number at once, then lives two seconds, so the
	// next run starts well after this one's output, even when a loaded host
	// stamps a line late.
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "runs", Container: vspec.Container{Image: podmantest.Image, Command: []string{"sh", "-c",
		`n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo "run $n"; sleep 2; exit 3`}}, StoreID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	exited := func() runtime.Instance {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; {
			list, err := rt.List(ctx)
			if err == nil && len(list) == 1 && list[0].State == runtime.StateExited {
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
	if second.StartedAt.IsZero() {
		t.Fatal("List gave no start time")
	}
	var all, last, until bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 10}, &all); err != nil || all.String() != "run 1\nrun 2\n" {
		t.Fatalf("all runs: %q, %v", all.String(), err)
	}
	if err := rt.Logs(ctx, id, runtime.LogOptions{Tail: 10, Since: second.StartedAt.Add(-500 * time.Millisecond)}, &last); err != nil || last.String() != "run 2\n" {
		t.Fatalf("since the last start: %q, %v; want the last run's alone", last.String(), err)
	}
	opts := runtime.LogOptions{Tail: 10, Since: second.StartedAt.Add(-500 * time.Millisecond), Until: time.Now()}
	if err := rt.Logs(ctx, id, opts, &until); err != nil || until.String() != "run 2\n" {
		t.Fatalf("since the last start, until now: %q, %v; want the last run's alone", until.String(), err)
	}
}
