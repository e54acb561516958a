package supervisor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// failingLogs is the fake runtime with a Logs that fails the way podman's
// does when its last output line is the container's: the error quotes it.
type failingLogs struct{ *fake.Runtime }

func (failingLogs) Logs(context.Context, runtime.InstanceID, runtime.LogOptions, io.Writer) error {
	return errors.New("token=s3cret-value, TOKEN=S3CRET-VALUE (podman logs, exit 1)")
}

// TestSupervisor_CrashLogReadErrorRedacted: a failed read of a crashed
// instance's output is logged with the spec's env values redacted, in the
// forms redact.Env promises.
func TestSupervisor_CrashLogReadErrorRedacted(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	s.Runtime = failingLogs{rt}
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s.Policy.BackoffInitial = 0
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Container: vspec.Container{Image: "busybox", Command: []string{"true"}, Env: map[string]string{"TOKEN": "s3cret-value"}}})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rt.SetExited("web", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "read output of exited instance") {
		t.Fatalf("no warning for the failed read in:\n%s", out)
	}
	if strings.Contains(strings.ToLower(out), "s3cret") || !strings.Contains(out, "[env TOKEN]") {
		t.Fatalf("the env value reached the log:\n%s", out)
	}
}

// TestSupervisor_RunErrorRedacted: a launch whose runtime error quotes an
// env value (a CLI's last line may be the container's output) is recorded
// (last error, failed event) and logged with the value redacted.
func TestSupervisor_RunErrorRedacted(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	rt.RunFunc = func(context.Context, runtime.RunSpec) (runtime.InstanceID, error) {
		return "", errors.New("Error: starting: token=czNjcmV0LXZhbHVl (s3cret-value) (podman run, exit 126)")
	}
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Container: vspec.Container{Image: "busybox", Command: []string{"true"}, Env: map[string]string{"TOKEN": "s3cret-value"}}})
	_ = s.Reconcile(ctx)
	ins, err := storetest.FindInstances(ctx, s.DB)
	if err != nil || len(ins) != 1 {
		t.Fatalf("instances %+v, %v; want one", ins, err)
	}
	in := ins[0]
	ev, err := s.DB.FindEvents(ctx, store.EventFilter{UID: "web", Kind: store.EventFailed})
	if err != nil || len(ev) != 1 {
		t.Fatalf("failed events %+v, %v; want one", ev, err)
	}
	for what, text := range map[string]string{"last error": in.LastError, "event": ev[0].Reason, "log": logs.String()} {
		if strings.Contains(text, "s3cret") || strings.Contains(text, "czNjcmV0LXZhbHVl") || !strings.Contains(text, "[env TOKEN]") {
			t.Errorf("%s not redacted: %s", what, text)
		}
	}
}
