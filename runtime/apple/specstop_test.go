package apple_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime/apple"
	"github.com/veloslet/veloslet/runtime/apple/appletest"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// TestReplace_StopsWithSpecGraceAfterRestart: a spec change replaces the
// running instance with `stop -t <its stop_timeout> -s <its stop_signal>`,
// then `delete --force`, then `run`, at every release; the grace and signal
// are those of the spec the running instance was launched with, read back
// from its labels by a veloslet that restarted in between (a new backend
// and supervisor over the same store and host).
func TestReplace_StopsWithSpecGraceAfterRestart(t *testing.T) {
	for _, v := range appletest.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			rt, _ := appletest.New(t, v)
			db := storetest.MustOpenDB(t)
			s := supervisor.New(db, rt)
			s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			web := store.Spec{UID: "web", Container: vspec.Container{Image: "alpine", Command: []string{"sleep", "infinity"},
				StopSignal: "SIGQUIT", StopTimeout: vspec.Duration(3 * time.Second)}}
			storetest.MustApply(t, db, web)
			ctx := context.Background()
			if err := s.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}

			// veloslet restarts: nothing of the first backend is kept.
			rt2 := apple.New(rt.Binary)
			rt2.Env, rt2.CallTimeout, rt2.StopTimeout = rt.Env, rt.CallTimeout, rt.StopTimeout
			calls := appletest.LogCalls(t, rt2)
			s2 := supervisor.New(db, rt2)
			s2.Logger = s.Logger
			web.Command = []string{"sleep", "1000"}
			web.StopSignal, web.StopTimeout = "SIGINT", vspec.Duration(7*time.Second)
			storetest.MustApply(t, db, web)
			if err := s2.Reconcile(ctx); err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, a := range calls.Argv(t) {
				if a[0] == "stop" || a[0] == "delete" || a[0] == "run" {
					got = append(got, a[:min(len(a), 6)])
				}
			}
			want := [][]string{{"stop", "-t", "3", "-s", "SIGQUIT", "velos-web"}, {"delete", "--force", "velos-web"}}
			if len(got) != 3 || !slices.EqualFunc(got[:2], want, slices.Equal) || got[2][0] != "run" {
				t.Fatalf("calls %q, want %q then run", got, want)
			}
			// The new instance stops with the new spec's values.
			calls.Reset(t)
			if err := rt2.Stop(ctx, "web"); err != nil {
				t.Fatal(err)
			}
			if got, want := calls.Argv(t), []string{"stop", "-t", "7", "-s", "SIGINT", "velos-web"}; len(got) != 1 || !slices.Equal(got[0], want) {
				t.Errorf("stop %q, want %q", got, want)
			}
		})
	}
}

// TestStatus_FieldTheReleaseLacks: a spec with init = true on container
// 0.9.0 (--init came in 0.10.0) is not launched, and status's last error
// names the field and both releases.
func TestStatus_FieldTheReleaseLacks(t *testing.T) {
	rt, _ := appletest.New(t, "0.9.0")
	calls := appletest.LogCalls(t, rt)
	db := storetest.MustOpenDB(t)
	s := supervisor.New(db, rt)
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	storetest.MustApply(t, db, store.Spec{UID: "web", Container: vspec.Container{Image: "alpine", Init: true}})
	ctx := context.Background()
	_ = s.Reconcile(ctx) // the launch fails; the pass records it
	rows, err := db.FindStatus(ctx, "web")
	if err != nil || len(rows) != 1 {
		t.Fatalf("status %v, %v", rows, err)
	}
	t.Logf("last_error: %s", rows[0].LastError)
	want := "init: needs container 0.10.0 or later (installed 0.9.0)"
	if !strings.Contains(rows[0].LastError, want) {
		t.Errorf("last_error %q, want it to say %q", rows[0].LastError, want)
	}
	if n := calls.Count(t, "run"); n != 0 {
		t.Errorf("%d run calls, want none", n)
	}
}
