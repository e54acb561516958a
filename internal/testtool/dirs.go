package testtool

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RunDir makes a folder for what one test process keeps beside its tests
// (a built binary, a config file, a service's socket), named prefix, this
// process's RunID and a random part, so that SweepRunDirs can tell, later,
// that its run is over. A test's own t.TempDir does not fit: the folder
// outlives the test that made it, and nothing removes it when the process
// ends. The prefix ends in "-" and is no other prefix's start followed by
// a digit, or a sweep of one could take the other's folders for dead runs'.
func RunDir(prefix string) (string, error) {
	if !strings.HasSuffix(prefix, "-") {
		return "", fmt.Errorf("testtool.RunDir: prefix %q must end in \"-\"", prefix)
	}
	return os.MkdirTemp("", prefix+RunID()+"-")
}

// SweepRunDirs removes the folders RunDir made for prefix whose run has
// ended, so that each run's leftovers go with a later one instead of piling
// up one per test process. The caller sweeps once nothing of a dead run
// needs them: podman's config folder, say, only after that run's containers
// are gone, since their exit handlers read it. Best effort: a folder it
// cannot read or remove stays, and a name it cannot parse is kept.
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
