package spec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/spec"
)

// TestDecode_BadDurationNamesItsField: every duration field of a spec,
// written badly in TOML or JSON, fails the file naming that field and the
// value, not another duration field.
func TestDecode_BadDurationNamesItsField(t *testing.T) {
	fields := []struct {
		field string // as the error names it
		toml  func(v string) string
		json  func(v string) string
	}{
		{"stop_timeout",
			func(v string) string { return "[[spec]]\nuid = \"a\"\nimage = \"b\"\nstop_timeout = " + v + "\n" },
			func(v string) string { return `{"uid":"a","image":"b","stop_timeout":` + v + `}` }},
	}
	for _, f := range []string{"interval", "timeout", "start_period"} {
		fields = append(fields, struct {
			field string
			toml  func(v string) string
			json  func(v string) string
		}{"health." + f,
			func(v string) string {
				return "[[spec]]\nuid = \"a\"\nimage = \"b\"\n[spec.health]\ncmd = [\"true\"]\n" + f + " = " + v + "\n"
			},
			func(v string) string {
				return `[{"uid":"z","image":"b"},{"uid":"a","image":"b","health":{"cmd":["true"],"` + f + `":` + v + `}}]`
			}})
	}
	for _, f := range fields {
		for _, c := range []struct{ format, in, value string }{
			{"toml", f.toml(`"soon"`), `"soon"`},
			{"toml", f.toml(`10`), `"10"`}, // a TOML integer, with no unit
			{"json", f.json(`"soon"`), `"soon"`},
			{"json", f.json(`"10"`), `"10"`},
		} {
			t.Run(fmt.Sprintf("%s/%s/%s", f.field, c.format, c.value), func(t *testing.T) {
				_, err := spec.Decode(strings.NewReader(c.in), c.format)
				want := f.field + " = " + c.value + `: want a duration such as "10s"`
				if !errors.Is(err, spec.ErrFile) || !strings.Contains(err.Error(), want) {
					t.Fatalf("%s: %v; want %q", c.in, err, want)
				}
			})
		}
		// A good value decodes, in both formats.
		for format, in := range map[string]string{"toml": f.toml(`"1m30s"`), "json": f.json(`"1m30s"`)} {
			if _, err := spec.Decode(strings.NewReader(in), format); err != nil {
				t.Errorf("%s %s: %v", f.field, format, err)
			}
		}
	}
}

// TestDecode_BadDurationsAllNamed: a JSON file with several bad durations
// names each of them in one error, so one round of edits fixes the file.
func TestDecode_BadDurationsAllNamed(t *testing.T) {
	in := `{"uid":"a","image":"b","stop_timeout":"x","health":{"cmd":["true"],"interval":"soon","timeout":"1s","start_period":"later"}}`
	_, err := spec.Decode(strings.NewReader(in), "json")
	for _, want := range []string{`stop_timeout = "x"`, `health.interval = "soon"`, `health.start_period = "later"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v; want %q in it", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "health.timeout") {
		t.Errorf("%v names health.timeout, which is good", err)
	}
}
