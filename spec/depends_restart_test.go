package spec_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/spec"
)

// TestDependsOn_RestartTable: a dependency written as a table carries its
// condition (started by default) and restart, in TOML and JSON; the plain
// string form stays what it was, so rows stored before restart existed
// read and write the same bytes.
func TestDependsOn_RestartTable(t *testing.T) {
	toml := "[[spec]]\nuid = \"app\"\nimage = \"busybox\"\n[spec.depends_on]\ndb = { condition = \"healthy\", restart = true }\ncache = { restart = true }\nlog = \"started\"\n"
	js := `{"uid":"app","image":"busybox","depends_on":{"db":{"condition":"healthy","restart":true},"cache":{"restart":true},"log":"started"}}`
	want := spec.DependsOn{"db": {Condition: "healthy", Restart: true}, "cache": {Condition: "started", Restart: true}, "log": {Condition: "started"}}
	for format, in := range map[string]string{"toml": toml, "json": js} {
		specs, err := spec.Decode(strings.NewReader(in), format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if got := specs[0].DependsOn; len(got) != len(want) || got["db"] != want["db"] || got["cache"] != want["cache"] || got["log"] != want["log"] {
			t.Fatalf("%s: %+v, want %+v", format, got, want)
		}
		specs[0].Normalize()
		if err := specs[0].Validate(); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	b, err := json.Marshal(want)
	if err != nil || string(b) != `{"cache":{"condition":"started","restart":true},"db":{"condition":"healthy","restart":true},"log":"started"}` {
		t.Fatalf("JSON %s, %v", b, err)
	}
	var back spec.DependsOn
	if err := json.Unmarshal(b, &back); err != nil || back["db"] != want["db"] || back["log"] != want["log"] {
		t.Fatalf("JSON round trip %+v, %v", back, err)
	}
	if b, _ := json.Marshal(spec.DependsOn{"db": {Condition: "healthy"}}); string(b) != `{"db":"healthy"}` {
		t.Fatalf("plain form %s", b)
	}
}

// TestDependsOn_RestartTOMLOut: the TOML a spec is written as (compose's
// conversion prints it) reads back the same.
func TestDependsOn_RestartTOMLOut(t *testing.T) {
	s := spec.Spec{UID: "app", Container: spec.Container{Image: "busybox"},
		DependsOn: spec.DependsOn{"db": {Condition: "healthy", Restart: true}, "log": {Condition: "started"}}}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(struct {
		Spec []spec.Spec `toml:"spec"`
	}{[]spec.Spec{s}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `db = { condition = "healthy", restart = true }`) || !strings.Contains(buf.String(), `log = "started"`) {
		t.Fatalf("TOML:\n%s", buf.String())
	}
	specs, err := spec.Decode(&buf, "toml")
	if err != nil || specs[0].DependsOn["db"] != s.DependsOn["db"] || specs[0].DependsOn["log"] != s.DependsOn["log"] {
		t.Fatalf("read back %+v, %v", specs, err)
	}
}

// TestDependsOn_BadTable: a table with an unknown key or a value of the
// wrong type is refused naming the dependency and the key.
func TestDependsOn_BadTable(t *testing.T) {
	for in, want := range map[string]string{
		`db = { condition = "healthy", restrat = true }`: `depends_on.db: unknown key "restrat"`,
		`db = { restart = "yes" }`:                       `depends_on.db.restart: yes: want true or false`,
		`db = { condition = 1 }`:                         `depends_on.db.condition: 1: want "started" or "healthy"`,
		`db = 3`:                                         `depends_on.db: 3: want "started", "healthy" or a table`,
	} {
		_, err := spec.Decode(strings.NewReader("[[spec]]\nuid = \"app\"\nimage = \"busybox\"\n[spec.depends_on]\n"+in+"\n"), "toml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", in, err, want)
		}
	}
	_, err := spec.Decode(strings.NewReader(`{"uid":"app","image":"busybox","depends_on":{"db":{"restrat":true}}}`), "json")
	if err == nil || !strings.Contains(err.Error(), "restrat") {
		t.Errorf("JSON unknown key: %v", err)
	}
}
