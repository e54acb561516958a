package testtool

import (
	"os"
	"path/filepath"
	"strings"
)

// RunDir makes a folder for what one test process keeps beside its tests
// (a built binary, a config file, a service's socket), named prefix, this
// process's RunID and a random part. A test's own t.TempDir does not fit
// there: the folder outlives the test that made it. Nothing removes it when
// the process ends, so first the folders of dead runs with the same prefix
// are removed: each run's leftovers go with the next, not one folder per
// test process for good.
func RunDir(prefix string) (string, error) {
	SweepRunDirs(prefix)
	return os.MkdirTemp("", prefix+RunID()+"-")
}

// SweepRunDirs removes the folders RunDir made for prefix whose run has
// ended. Best effort: a folder it cannot read or remove stays.
func SweepRunDirs(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range dirs {
		// <prefix><pid>-<ticks>-<random>
		f := strings.Split(strings.TrimPrefix(filepath.Base(d), prefix), "-")
		if len(f) == 3 && !Alive(f[0]+"-"+f[1]) {
			_ = os.RemoveAll(d)
		}
	}
}
