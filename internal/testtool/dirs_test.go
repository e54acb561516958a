package testtool

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSweepRunDirs_DeadRunsOnly(t *testing.T) {
	if startTicks(os.Getpid()) == 0 {
		t.Skip("no /proc: a run's start time cannot be told, so no run is surely dead")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const prefix = "runtest-"
	deadRun := strconv.Itoa(os.Getpid()) + "-1" // this pid, another start: ended
	kept := []string{
		prefix + RunID() + "-xyz",            // this run's
		prefix + "123456",                    // an older naming: not surely dead
		prefix + "shared-" + deadRun + "-ab", // a longer prefix's: its sweep's to judge
		"other-" + deadRun + "-abc",          // another prefix's
	}
	for _, d := range append([]string{prefix + deadRun + "-abc"}, kept...) {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	SweepRunDirs(prefix)
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
	want := append(kept, filepath.Base(dir))
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("after the sweep: %v, want %v (only the dead run's folder of this prefix gone)", got, want)
	}
}

func TestRunDir_PrefixEndsInDash(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	if dir, err := RunDir("runtest"); err == nil || !strings.Contains(err.Error(), `"runtest"`) {
		t.Errorf("RunDir(%q) = %q, %v; want an error naming the prefix", "runtest", dir, err)
	}
}
