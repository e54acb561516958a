package spec_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

func TestDependsOn_Decode(t *testing.T) {
	var d spec.DependsOn
	if err := json.Unmarshal([]byte(`["db", "cache"]`), &d); err != nil || d["db"].Condition != spec.DependStarted || d["cache"].Condition != spec.DependStarted {
		t.Fatalf("list: %v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"db": "healthy"}`), &d); err != nil || len(d) != 1 || d["db"] != (spec.Dependency{Condition: spec.DependHealthy}) {
		t.Fatalf("object: %v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &d); err == nil {
		t.Fatal("a list of numbers accepted")
	}
	specs, err := spec.Decode(strings.NewReader("[[spec]]\nuid = \"app\"\nimage = \"busybox\"\n[spec.depends_on]\ndb = \"healthy\"\n"), "toml")
	if err != nil || specs[0].DependsOn["db"].Condition != spec.DependHealthy {
		t.Fatalf("toml table: %+v, %v", specs, err)
	}
}

var (
	started = spec.Dependency{Condition: spec.DependStarted}
	healthy = spec.Dependency{Condition: spec.DependHealthy}
)

func TestCheckDependencies(t *testing.T) {
	for _, tc := range []struct {
		name string
		deps map[string]spec.DependsOn
		want string // "" when accepted
	}{
		{"Chain", map[string]spec.DependsOn{"db": nil, "app": {"db": healthy}, "web": {"app": started, "db": started}}, ""},
		{"Unknown", map[string]spec.DependsOn{"app": {"db": started}}, `spec "app": depends_on.db: no spec has uid "db"`},
		{"Cycle", map[string]spec.DependsOn{"a": {"b": started}, "b": {"c": started}, "c": {"a": healthy}}, "a cycle: a → b → c → a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := spec.CheckDependencies(tc.deps)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !errors.Is(err, spec.ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	s := spec.Spec{UID: "app", Container: spec.Container{Image: "busybox"}, DependsOn: spec.DependsOn{"app": started}}
	s.Normalize()
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "depends_on.app") {
		t.Fatalf("a spec depending on itself: %v", err)
	}
}
