package spec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// tomlTypeErr matches the TOML decoder's type mismatch, which speaks of Go
// types ("destination has type slice") rather than of the file.
var tomlTypeErr = regexp.MustCompile(`line (\d+) \(last key "([^"]+)"\): incompatible types: TOML value has type ([^;]+); destination has type (.+)$`)

// tomlWant and tomlGot name Go and TOML types as a TOML file's author knows them.
var (
	tomlWant = map[string]string{"slice": "an array", "array": "an array", "string": "a string", "integer": "an integer",
		"float": "a number", "map": "a table", "struct": "a table", "bool": "true or false", "time.Duration": "a duration string such as \"10s\""}
	tomlGot = map[string]string{"string": "a string", "int64": "an integer", "float64": "a number", "bool": "a boolean",
		"[]interface {}": "an array", "map[string]interface {}": "a table", "time.Time": "a date"}
)

// TOMLError turns the TOML decoder's error into one line in the file's
// terms: "line 4: spec.command: must be an array, got a string".
func TOMLError(err error) error {
	msg := err.Error()
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg = fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
	}
	msg = strings.TrimPrefix(strings.TrimPrefix(strings.Join(strings.Fields(msg), " "), "toml: "), "toml: ")
	if m := tomlTypeErr.FindStringSubmatch(msg); m != nil {
		got, want := m[3], m[4]
		if s, ok := tomlGot[got]; ok {
			got = s
		}
		if s, ok := tomlWant[want]; ok {
			want = s
		}
		return fmt.Errorf("line %s: %s: must be %s, got %s", m[1], m[2], want, got)
	}
	return errors.New(msg)
}
