package spec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

func TestParseVolume(t *testing.T) {
	good := map[string]spec.Volume{
		"webdata:/data":      {Source: "webdata", Target: "/data", Kind: spec.VolumeNamed},
		"/srv/site:/www:ro":  {Source: "/srv/site", Target: "/www", ReadOnly: true, Kind: spec.VolumeBind},
		"db.v1_x-y:/var/lib": {Source: "db.v1_x-y", Target: "/var/lib", Kind: spec.VolumeNamed},
		"/:/host:rw":         {Source: "/", Target: "/host", Kind: spec.VolumeBind},
	}
	for in, want := range good {
		got, err := spec.ParseVolume(in)
		if err != nil || got != want {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := spec.ParseVolume(got.String()); err != nil || again != got {
			t.Errorf("ParseVolume(%q.String()) = %+v, %v", in, again, err)
		}
	}
	for in, reason := range map[string]string{
		"data":              "want NAME",
		"./data:/data":      "absolute",
		"data/x:/data":      "absolute",
		"~/data:/data":      "absolute",
		"/srv:data":         "container path",
		"/srv/../etc:/data": "'..'",
		"/srv:/data/..":     "'..'",
		"/srv:/data:rx":     "ro or rw",
		"/a:/b:ro:x":        "want NAME",
		"-v:/data":          "volume name",
		"_x:/data":          "volume name",
		":/data":            "empty",
		"/srv,x:/data":      "','",
		"/srv\x00:/data":    "NUL",
		"/srv:/da\nta":      "control",
		"data:/data:ro:rw":  "want NAME",
		"C:\\data:/data":    "ro or rw",
		"da ta:/data":       "volume name",
	} {
		_, err := spec.ParseVolume(in)
		var ve *spec.ValidationError
		if !errors.As(err, &ve) || ve.Field != "volumes" || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseVolume(%q) = %v; want a ValidationError of volumes saying %q", in, err, reason)
		}
	}
}

// FuzzParseVolume: no panic; a refusal names the field; what is accepted
// round-trips, has an absolute target without ':' or '..', and a source
// that is an absolute path or a name a runtime takes.
func FuzzParseVolume(f *testing.F) {
	for _, s := range []string{"webdata:/data", "/srv:/www:ro", "./x:/y", "a:b:c:d", "/a/../b:/c", "x:/y:rw"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := spec.ParseVolume(s)
		if err != nil {
			var ve *spec.ValidationError
			if !errors.As(err, &ve) || ve.Field != "volumes" {
				t.Fatalf("refusal names no field: %v", err)
			}
			return
		}
		again, err := spec.ParseVolume(v.String())
		if err != nil || again != v {
			t.Fatalf("%q → %+v → %+v, %v", s, v, again, err)
		}
		for _, p := range []string{v.Source, v.Target} {
			if strings.HasPrefix(p, "-") || strings.ContainsAny(p, ":,\x00\n") || strings.Contains("/"+p+"/", "/../") {
				t.Fatalf("accepted %q with part %q", s, p)
			}
		}
		if !strings.HasPrefix(v.Target, "/") || (v.Kind == spec.VolumeBind) != strings.HasPrefix(v.Source, "/") {
			t.Fatalf("accepted %q as %+v", s, v)
		}
	})
}
