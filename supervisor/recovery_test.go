package supervisor_test

import (
	"path/filepath"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/supervisor/supervisortest"
)

func fakeHost(rt *fake.Runtime) *runtimetest.Harness {
	return &runtimetest.Harness{
		Runtime: rt, ReportsExitCodes: true, Image: "busybox", Command: []string{"sleep", "infinity"},
		Exit: func(tb testing.TB, uid string, code int) {
			if err := rt.SetExited(uid, code); err != nil {
				tb.Fatal(err)
			}
		},
		Reopen: func(_ testing.TB, storeID string, newPrefix bool) runtime.Runtime {
			return fake.Reopened(rt, storeID, newPrefix)
		},
		Rename: func(tb testing.TB, id runtime.InstanceID, name string) { fake.RenameID(tb, rt, id, name) },
	}
}

func TestCrashRecovery_Fake(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness { return fakeHost(fake.New()) })
}

func TestCrashRecovery_FakeFile(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness {
		rt, err := fake.Open(filepath.Join(t.TempDir(), "host.json"))
		if err != nil {
			t.Fatal(err)
		}
		return fakeHost(rt)
	})
}
