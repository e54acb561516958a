package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// ErrFile is wrapped by every error reading a spec file (apply exits 2).
var ErrFile = errors.New("spec file")

// MaxFile bounds what Decode reads, so a mistaken `apply -f /dev/zero` ends.
const MaxFile = 64 << 20

// Decode reads specs from TOML ([[spec]] tables) or JSON (an object or an
// array of objects). format is "toml", "json" or "" to guess from the
// content. Keys must be exact: an unknown key, a key in another letter case
// or twice in one object, and a key the store sets are all refused, every
// one of them in one error. The specs are not validated (UpsertSpecs does).
func Decode(r io.Reader, format string) ([]Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFile, err)
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrFile, MaxFile>>20)
	}
	// JSON would quietly turn invalid bytes into U+FFFD; refuse them instead,
	// so that what runs is byte for byte what the file says.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8 (at byte %d)", ErrFile, invalidAt(data))
	}
	if format == "" {
		format = sniff(data)
	}
	var specs []Spec
	switch format {
	case "json":
		specs, err = decodeJSON(data)
	case "toml":
		specs, err = decodeTOML(data)
	default:
		return nil, fmt.Errorf("%w: format %q: must be toml or json", ErrFile, format)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFile, format, err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no specs found (TOML wants [[spec]] tables; JSON an object or an array)", ErrFile)
	}
	return specs, nil
}

// DecodeOne reads one spec from a JSON object, as a fleet bucket value holds it.
func DecodeOne(value []byte) (*Spec, error) {
	if sniffArray(value) {
		return nil, fmt.Errorf("%w: want one JSON object, not an array", ErrFile)
	}
	specs, err := Decode(bytes.NewReader(value), "json")
	if err != nil {
		return nil, err
	}
	return &specs[0], nil
}

func invalidAt(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// sniff tells JSON from TOML: JSON starts with '{' or with '[' followed by '{' or ']'.
func sniff(data []byte) string {
	t := bytes.TrimSpace(data)
	if bytes.HasPrefix(t, []byte("{")) {
		return "json"
	}
	if rest, ok := bytes.CutPrefix(t, []byte("[")); ok {
		rest = bytes.TrimSpace(rest)
		if bytes.HasPrefix(rest, []byte("{")) || bytes.HasPrefix(rest, []byte("]")) {
			return "json"
		}
	}
	return "toml"
}

func sniffArray(data []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) }

func decodeJSON(data []byte) ([]Spec, error) {
	dec := func(b []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return jsonError(err)
		}
		if d.More() {
			return errors.New("unexpected data after the first JSON value")
		}
		return nil
	}
	if sniffArray(data) {
		var out []Spec
		if err := checkJSONKeys(data, reflect.TypeOf(out)); err != nil {
			return nil, err
		}
		return out, dec(data, &out)
	}
	if err := checkJSONKeys(data, reflect.TypeOf(Spec{})); err != nil {
		return nil, err
	}
	var one Spec
	if err := dec(data, &one); err != nil {
		return nil, err
	}
	return []Spec{one}, nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var ve *ValidationError
	switch {
	case errors.As(err, &ve):
		return ve
	case errors.As(err, &te):
		return fmt.Errorf("field %s: got a JSON %s, want %s", te.Field, te.Value, te.Type)
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at byte %d: %v", se.Offset, se)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// tomlFile is a TOML spec file: [[spec]] tables.
type tomlFile struct {
	Spec []Spec `toml:"spec"`
}

func decodeTOML(data []byte) ([]Spec, error) {
	var f tomlFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, TOMLError(nameTOMLDuration(err))
	}
	if err := CheckTOMLKeys(md, reflect.TypeOf(f)); err != nil {
		return nil, err
	}
	return f.Spec, nil
}
