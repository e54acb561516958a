package supervisor_test

import (
	"path/filepath"
	"testing"

	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/fake/faketest"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/supervisor/supervisortest"
)

func TestCrashRecovery_Fake(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness { return faketest.Harness(fake.New()) })
}

func TestCrashRecovery_FakeFile(t *testing.T) {
	supervisortest.RunCrashRecovery(t, func(t *testing.T) *runtimetest.Harness {
		rt, err := fake.Open(filepath.Join(t.TempDir(), "host.json"))
		if err != nil {
			t.Fatal(err)
		}
		return faketest.Harness(rt)
	})
}
