package spec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// FuzzDecodeSpecs feeds the spec-file decoder (TOML and JSON) and the
// validator arbitrary bytes: no panic; a refused file is an ErrSpecFile
// error and a refused spec a ValidationError naming its field; a spec the
// validator accepts is one the runtime layer accepts too, so nothing that
// passes validation can become a flag on a runtime's command line.
func FuzzDecodeSpecs(f *testing.F) {
	data, err := os.ReadFile("../docs/examples/demo.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, uint8(0))
	for _, s := range []string{
		`{"uid": "a", "image": "busybox", "command": ["sleep", "1"], "env": {"K": "v"}, "memory": "64M", "cpus": 0.5}`,
		`[{"uid": "a", "image": "busybox"}, {"uid": "b", "image": "-v", "restart": "never"}]`,
		"[[spec]]\nuid = \"a\"\nimage = \"busybox\"\n[spec.labels]\nteam = \"x\"\n",
		"[[spec]]\nuid = \"--privileged\"\nimage = \"busybox\"\ncommand = [\"-rf\", \"a\\u0000b\"]\n",
		`{"uid": "a\nb", "image": "x", "env": {"A=B": "c"}}`,
		"[[spec]]\nuid = \"\xff\xfe\"\nimage = \"busybox\"\n",
		// Duplicate keys and keys in another case are refused, at any depth.
		`{"uid": "a", "uid": "b", "image": "busybox"}`,
		`[{"uid": "a", "image": "busybox"}, {"uid": "b", "image": "busybox", "image": "x"}]`,
		`{"UID": "a", "image": "busybox"}`,
		`{"uid": "a", "Image": "busybox", "image": "x"}`,
		`{"uid": "a", "image": "busybox", "env": {"K": "1", "K": "2"}, "labels": {"k": "1"}}`,
		`{"uid": "a", "image": "busybox", "labels": {"k": "1", "k": "2"}}`,
		`{"uid": "a", "image": "busybox", "env": {"k": "1", "K": "2"}}`,
		"[[spec]]\nuid = \"a\"\nUID = \"b\"\nimage = \"busybox\"\n",
		`{"uid": "a", "image": "busybox", "memory": "0.5", "labels": {"VELOS.store": "x", "k": "a=b"}}`,
		`{"uid": "a", "image": "busybox", "ports": ["127.0.0.1:8080:80", "[::1]:53:53/udp"], "volumes": ["d:/d", "/s:/w:ro"],
		  "tmpfs": ["/run"], "workdir": "/srv", "user": "1000:1000", "entrypoint": ["/bin/sh", "-c"], "network": "n",
		  "network_aliases": ["db"], "stop_signal": "SIGTERM", "stop_timeout": "10s", "init": true, "read_only": true,
		  "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"]}`,
		"[[spec]]\nuid = \"a\"\nimage = \"b\"\nports = [\"-1:80\"]\nvolumes = [\"-v:/x\"]\nuser = \"-u\"\nentrypoint = [\"-e\"]\n",
		`{"uid": "a", "image": "b", "cmd": ["x"], "generation": 4, "workdir": "/a/../b", "tmpfs": ["/x:y"], "cap_add": ["-x"]}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	formats := []string{"", "json", "toml"}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		specs, err := spec.Decode(bytes.NewReader(data), formats[int(format)%len(formats)])
		if err != nil {
			if !errors.Is(err, spec.ErrFile) || strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("unclear rejection: %v", err)
			}
			return
		}
		// An accepted JSON file names every field exactly (all are lower case).
		var objs []map[string]json.RawMessage
		if json.Unmarshal(data, &objs) != nil {
			var one map[string]json.RawMessage
			if json.Unmarshal(data, &one) == nil {
				objs = append(objs, one)
			}
		}
		for _, o := range objs {
			for k := range o {
				if k != strings.ToLower(k) {
					t.Fatalf("accepted a spec key in another case: %q", k)
				}
			}
		}
		for _, s := range specs {
			s.Generation, s.SpecHash = 1, "h"
			err := s.Validate()
			var ve *spec.ValidationError
			switch {
			case err != nil && (!errors.As(err, &ve) || ve.Field == ""):
				t.Fatalf("rejection names no field: %v", err)
			case err != nil:
				continue
			}
			rs := runtime.NewRunSpec(&s, "s")
			if err := rs.Check(); err != nil {
				t.Fatalf("spec valid for the store but not for the runtime: %v (%+v)", err, s)
			}
		}
	})
}
