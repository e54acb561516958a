package docker_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/docker/dockertest"
	"github.com/veloslet/veloslet/spec"
)

var stamped = regexp.MustCompile(`^(\S+) (.*)$`)

// TestLogsTimestampsSince: Timestamps starts each line with the server's
// RFC 3339 time; Since a time between two lines leaves the first out.
func TestLogsTimestampsSince(t *testing.T) {
	rt, _ := dockertest.New(t)
	ctx := ctxT(t)
	id, err := rt.Run(ctx, runtime.RunSpec{UID: "ts", StoreID: "s1",
		Container: spec.Container{Image: dockertest.Image, Command: []string{"sh", "-c", "echo one; sleep 2; echo two"}}})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		if in := find(t, rt, "ts"); in == nil || in.State != runtime.StateExited {
			return fmt.Errorf("want exited, have %+v", in)
		}
		return nil
	})
	var b bytes.Buffer
	if err := rt.Logs(ctx, id, runtime.LogOptions{Timestamps: true}, &b); err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		m := stamped.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("logs with timestamps = %q", b.String())
		}
		ts, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil || m[2] != []string{"one", "two"}[min(i, 1)] {
			t.Fatalf("logs with timestamps = %q (%v)", b.String(), err)
		}
		at = append(at, ts)
	}
	if len(at) != 2 || at[1].Sub(at[0]) < time.Second {
		t.Fatalf("logs with timestamps = %q: want two lines about 2 s apart", b.String())
	}
	b.Reset()
	if err := rt.Logs(ctx, id, runtime.LogOptions{Since: at[0].Add(at[1].Sub(at[0]) / 2)}, &b); err != nil || b.String() != "two\n" {
		t.Fatalf("logs since between the lines = %q, %v; want two alone", b.String(), err)
	}
}
