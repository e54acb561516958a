package spec_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

// TestDecode_ReportsEveryUnknownKey: one error names every unknown key with
// what it was likely meant to be, in TOML and JSON alike.
func TestDecode_ReportsEveryUnknownKey(t *testing.T) {
	for format, in := range map[string]string{
		"toml": "[[spec]]\nuid = \"a\"\nimage = \"busybox\"\ncmd = [\"x\"]\nargs = [\"y\"]\nenvironment = {A = \"b\"}\nname = \"a\"\n" +
			"working_dir = \"/x\"\nhealthcheck = \"x\"\ngeneration = 3\nimgae = \"x\"\n",
		"json": `{"uid":"a","image":"busybox","cmd":["x"],"args":["y"],"environment":{"A":"b"},"name":"a",` +
			`"working_dir":"/x","healthcheck":"x","generation":3,"imgae":"x"}`,
	} {
		_, err := spec.Decode(strings.NewReader(in), format)
		if !errors.Is(err, spec.ErrFile) {
			t.Fatalf("%s: %v, want ErrFile", format, err)
		}
		for _, want := range []string{"cmd (did you mean command?)", "args (did you mean command?)",
			"environment (did you mean env?)", "name (did you mean uid?)", "working_dir (did you mean workdir?)",
			"healthcheck (did you mean health?", "generation is set by the store",
			"imgae (did you mean image?)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nlacks %q", format, err, want)
			}
		}
	}
}

// TestDecode_NewFields: every new key decodes from TOML and JSON to the
// same spec, workdir among them.
func TestDecode_NewFields(t *testing.T) {
	tm := `[[spec]]
uid = "web"
image = "busybox"
ports = ["127.0.0.1:8080:80", "8443:443/tcp", "5353:53/udp"]
volumes = ["webdata:/data", "/srv/site:/www:ro"]
tmpfs = ["/run"]
workdir = "/srv"
user = "1000:1000"
entrypoint = ["/bin/sh", "-c"]
network = "backend"
network_aliases = ["db"]
stop_signal = "SIGTERM"
stop_timeout = "10s"
init = true
read_only = true
cap_add = ["NET_ADMIN"]
cap_drop = ["ALL"]
`
	js := `{"uid": "web", "image": "busybox", "ports": ["127.0.0.1:8080:80", "8443:443/tcp", "5353:53/udp"],
	"volumes": ["webdata:/data", "/srv/site:/www:ro"], "tmpfs": ["/run"], "workdir": "/srv", "user": "1000:1000",
	"entrypoint": ["/bin/sh", "-c"], "network": "backend", "network_aliases": ["db"], "stop_signal": "SIGTERM",
	"stop_timeout": "10s", "init": true, "read_only": true, "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"]}`
	a, err := spec.Decode(strings.NewReader(tm), "toml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := spec.Decode(strings.NewReader(js), "json")
	if err != nil {
		t.Fatal(err)
	}
	a[0].Normalize()
	b[0].Normalize()
	ja, _ := json.Marshal(a[0])
	jb, _ := json.Marshal(b[0])
	if string(ja) != string(jb) {
		t.Fatalf("toml %s\njson %s", ja, jb)
	}
	if err := a[0].Validate(); err != nil {
		t.Fatal(err)
	}
	c := a[0].Container
	if len(c.Ports) != 3 || c.Ports[2] != (spec.Port{HostPort: 5353, ContainerPort: 53, Proto: "udp"}) ||
		c.Volumes[1] != (spec.Volume{Source: "/srv/site", Target: "/www", ReadOnly: true, Kind: spec.VolumeBind}) ||
		c.StopTimeout.String() != "10s" || !c.Init || !c.ReadOnly || c.Workdir != "/srv" {
		t.Fatalf("decoded %+v", c)
	}
}

// TestDecode_BadValueNamesField: a value the parsers refuse fails the file
// with the field named.
func TestDecode_BadValueNamesField(t *testing.T) {
	for in, want := range map[string]string{
		`{"uid":"a","image":"b","ports":["99999:80"]}`:                   `ports = "99999:80"`,
		"[[spec]]\nuid = \"a\"\nimage = \"b\"\nvolumes = [\"./x:/y\"]\n": `volumes = "./x:/y"`,
		`{"uid":"a","image":"b","stop_timeout":"soon"}`:                  `stop_timeout = "soon"`,
		"[[spec]]\nuid = \"a\"\nimage = \"b\"\nstop_timeout = 10\n":      `stop_timeout = "10"`,
	} {
		_, err := spec.Decode(strings.NewReader(in), "")
		if !errors.Is(err, spec.ErrFile) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", in, err, want)
		}
	}
}

// TestHash_UnchangedForOldSpecs: a spec that sets none of the new fields
// keeps the hash the code gave it before they existed, so an upgrade
// replaces no instance.
func TestHash_UnchangedForOldSpecs(t *testing.T) {
	key := []byte("secret")
	s := spec.Spec{UID: "a", Container: spec.Container{Image: "busybox", Command: []string{"sleep", "1"},
		Env: map[string]string{"B": "2", "A": "1"}, CPUs: 0.5, Memory: 64 << 20, Labels: map[string]string{"k": "v"}}}
	s.Normalize()
	// The encoding hashSpec used before issue 27, verbatim.
	b, _ := json.Marshal(struct {
		Image   string            `json:"image"`
		Command []string          `json:"command"`
		Env     map[string]string `json:"env"`
		CPUs    float64           `json:"cpus"`
		Memory  int64             `json:"memory"`
		Labels  map[string]string `json:"labels"`
	}{s.Image, s.Command, s.Env, s.CPUs, int64(s.Memory), s.Labels})
	m := hmac.New(sha256.New, key)
	m.Write(b)
	if old, got := hex.EncodeToString(m.Sum(nil))[:16], spec.Hash(key, &s.Container); got != old {
		t.Fatalf("hash %s, was %s", got, old)
	}
}
