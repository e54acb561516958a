package runtime_test

import (
	"slices"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

func TestImageVolumeName(t *testing.T) {
	a := runtime.ImageVolumeName("velos-", "web", "/data")
	if a != runtime.ImageVolumeName("velos-", "web", "/data") {
		t.Fatal("not deterministic")
	}
	if a == runtime.ImageVolumeName("velos-", "web", "/var/lib/data") || a == runtime.ImageVolumeName("velos-", "api", "/data") {
		t.Fatal("two paths or uids share a name")
	}
	if !runtime.IsImageVolume("velos-", "web", a) {
		t.Fatalf("%s not recognised as web's", a)
	}
	// uid "web" must not claim uid "web-0123456789ab"'s volumes, nor a
	// named volume a spec chose.
	other := runtime.ImageVolumeName("velos-", "web-0123456789ab", "/data")
	for _, n := range []string{other, "velos-web", "velos-web-data", "x" + a, a + "0"} {
		if runtime.IsImageVolume("velos-", "web", n) {
			t.Errorf("%s taken for one of web's image volumes", n)
		}
	}
}

func TestRunSpec_ImageVolumePaths(t *testing.T) {
	declared := runtime.CleanImageVolumes(map[string]struct{}{
		"/data/": {}, "/var/lib/db": {}, "/run": {}, "/mounted": {}, "relative": {}, "/a:b": {}, "/": {}, "/c,d": {},
	})
	if want := []string{"/data", "/mounted", "/run", "/var/lib/db"}; !slices.Equal(declared, want) {
		t.Fatalf("CleanImageVolumes = %q, want %q", declared, want)
	}
	s := runtime.RunSpec{UID: "web", Container: spec.Container{
		Volumes: []spec.Volume{{Source: "mine", Target: "/mounted", Kind: spec.VolumeNamed}},
		Tmpfs:   []string{"/run"},
	}}
	if got, want := s.ImageVolumePaths(declared), []string{"/data", "/var/lib/db"}; !slices.Equal(got, want) {
		t.Fatalf("ImageVolumePaths = %q, want %q (what the spec mounts itself is left to it)", got, want)
	}
}
