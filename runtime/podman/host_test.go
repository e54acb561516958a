package podman

import (
	"os"
	"strings"
	"testing"
)

// TestParseVersion: `podman version` as podman prints it on its own host and
// as podman --remote prints it (testdata, both captured from podman 4.3);
// anything else is an error that shows what it read.
func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		file  string
		local bool
	}{{"version-local.json", true}, {"version-remote.json", false}} {
		out, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		if v, local, err := parseVersion(out); v != "4.3.1" || local != c.local || err != nil {
			t.Errorf("%s: version %q local=%v err=%v, want 4.3.1 and local=%v", c.file, v, local, err, c.local)
		}
	}
	for _, out := range []string{"", "Error: cannot connect", `{"Server":{}}`} {
		if v, local, err := parseVersion([]byte(out)); v != "" || local || err == nil || !strings.Contains(err.Error(), "parse podman version") {
			t.Errorf("%q: version %q local=%v err=%v, want a parse error", out, v, local, err)
		}
	}
}
