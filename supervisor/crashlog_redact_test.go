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
	storetest.MustApply(t, s.DB, store.Spec{UID: "web", Image: "busybox", Command: []string{"true"},
		Env: map[string]string{"TOKEN": "s3cret-value"}})
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
