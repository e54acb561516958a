package fleet_test

import (
	"testing"

	"github.com/veloslet/veloslet/fleet"
)

// TestKeys_NATSRules: the keys and subject tokens veloslet builds or reads
// follow NATS's rules; a uid that makes no literal token is published
// under "_" (its event's body still names it).
func TestKeys_NATSRules(t *testing.T) {
	for k, want := range map[string]bool{
		"mini-7.web": true, "mini-7.a.b": true, "mini-7": true, "n.a/b=c_d-e": true,
		"mini-7.>": false, "mini-7.*": false, "mini-7.\x1b[31m": false, "mini-7.é": false,
		"mini-7.a..b": false, "mini-7.": false, ".web": false, "": false, "mini-7.a b": false,
	} {
		if got := fleet.ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", k, got, want)
		}
	}
	for uid, want := range map[string]string{"web": "web", "a.b": "a.b", "": "_", ">": "_", "*": "_", "a.": "_", "x\x1b": "_"} {
		if got := fleet.SubjectToken(uid); got != want {
			t.Errorf("subjectToken(%q) = %q, want %q", uid, got, want)
		}
	}
}
