package testtool

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestRunDir_SweepsDeadRunsOnly(t *testing.T) {
	if startTicks(os.Getpid()) == 0 {
		t.Skip("no /proc: a run's start time cannot be told, so no run is surely dead")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const prefix = "runtest-"
	dead := prefix + strconv.Itoa(os.Getpid()) + "-1-abc" // this pid, another start: ended
	live := prefix + RunID() + "-xyz"
	for _, d := range []string{dead, live, prefix + "123456", "other-" + strconv.Itoa(os.Getpid()) + "-1-abc"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := RunDir(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != tmp || !strings.HasPrefix(filepath.Base(dir), prefix+RunID()+"-") {
		t.Errorf("RunDir = %s, want %s/%s<random>", dir, tmp, prefix+RunID()+"-")
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"other-" + strconv.Itoa(os.Getpid()) + "-1-abc", filepath.Base(dir), live, prefix + "123456"}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("after RunDir: %v, want %v (only the dead run's folder of this prefix gone)", got, want)
	}
}
