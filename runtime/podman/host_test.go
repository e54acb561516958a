package podman

import (
	"os"
	"testing"
)

// TestParseLocal: `podman version` as podman prints it on its own host and
// as podman --remote prints it (testdata, both captured from podman 4.3).
func TestParseLocal(t *testing.T) {
	for _, c := range []struct {
		file      string
		local, ok bool
	}{{"version-local.json", true, true}, {"version-remote.json", false, true}} {
		out, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		if local, ok := parseLocal(out); local != c.local || ok != c.ok {
			t.Errorf("%s: local=%v ok=%v, want %v %v", c.file, local, ok, c.local, c.ok)
		}
	}
	for _, out := range []string{"", "Error: cannot connect", `{"Server":{}}`} {
		if local, ok := parseLocal([]byte(out)); local || ok {
			t.Errorf("%q: local=%v ok=%v, want neither", out, local, ok)
		}
	}
}
