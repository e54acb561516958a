package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/store"
)

// ErrSpecFile is wrapped by every error reading a spec file (exit code 2).
var ErrSpecFile = errors.New("spec file")

// maxSpecFile bounds what apply reads, so a mistaken `apply -f /dev/zero` ends.
const maxSpecFile = 64 << 20

// specInput is one spec as written in a TOML or JSON file.
type specInput struct {
	UID          string            `toml:"uid" json:"uid"`
	Image        string            `toml:"image" json:"image"`
	Command      []string          `toml:"command" json:"command"`
	Env          map[string]string `toml:"env" json:"env"`
	Restart      string            `toml:"restart" json:"restart"`
	DesiredState string            `toml:"desired_state" json:"desired_state"`
	CPUs         float64           `toml:"cpus" json:"cpus"`
	Memory       Memory            `toml:"memory" json:"memory"`
	Labels       map[string]string `toml:"labels" json:"labels"`
}

func (in specInput) spec() store.Spec {
	return store.Spec{UID: in.UID, Image: in.Image, Command: in.Command, Env: in.Env,
		Restart: store.RestartPolicy(in.Restart), DesiredState: store.DesiredState(in.DesiredState),
		CPUs: in.CPUs, Memory: int64(in.Memory), Labels: in.Labels}
}

// Memory is a size in bytes, written as a number of bytes or a string with a
// binary suffix: "512M", "1G", "1.5GiB".
type Memory int64

// UnmarshalText parses a size string.
func (m *Memory) UnmarshalText(b []byte) error {
	v, err := ParseMemory(string(b))
	*m = Memory(v)
	return err
}

// UnmarshalJSON accepts a number of bytes or a size string.
func (m *Memory) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return m.UnmarshalText([]byte(s))
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("memory %s: want a number of bytes or a string such as \"512M\"", b)
	}
	*m = Memory(n)
	return nil
}

// ParseMemory parses "512M", "1G", "1.5GiB", "1048576" (bytes). Suffixes
// are binary (K = 1024) whatever their spelling, as in Docker and Podman.
func ParseMemory(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			shift, t = (i+1)*10, t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("memory %q: want bytes or a size such as \"512M\" or \"1G\"", s)
	}
	v := f * float64(int64(1)<<shift)
	if v > float64(store.MaxMemory) {
		return 0, fmt.Errorf("memory %q: larger than 1 PiB", s)
	}
	if v != math.Trunc(v) {
		// "0.5" would become 0, which means no limit at all.
		return 0, fmt.Errorf("memory %q: not a whole number of bytes", s)
	}
	return int64(v), nil
}

// DecodeSpecs reads specs from TOML ([[spec]] tables) or JSON (an object or
// an array of objects). format is "toml", "json" or "" to guess from the content.
func DecodeSpecs(r io.Reader, format string) ([]store.Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSpecFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpecFile, err)
	}
	if len(data) > maxSpecFile {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrSpecFile, maxSpecFile>>20)
	}
	// JSON would quietly turn invalid bytes into U+FFFD; refuse them instead,
	// so that what runs is byte for byte what the file says.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8 (at byte %d)", ErrSpecFile, invalidAt(data))
	}
	if format == "" {
		format = sniff(data)
	}
	var inputs []specInput
	switch format {
	case "json":
		inputs, err = decodeJSON(data)
	case "toml":
		inputs, err = decodeTOML(data)
	default:
		return nil, fmt.Errorf("%w: format %q: must be toml or json", ErrSpecFile, format)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSpecFile, format, err)
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: no specs found (TOML wants [[spec]] tables; JSON an object or an array)", ErrSpecFile)
	}
	specs := make([]store.Spec, len(inputs))
	for i, in := range inputs {
		specs[i] = in.spec()
	}
	return specs, nil
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

func decodeJSON(data []byte) ([]specInput, error) {
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
		var out []specInput
		if err := checkJSONKeys(data, reflect.TypeOf(out)); err != nil {
			return nil, err
		}
		return out, dec(data, &out)
	}
	if err := checkJSONKeys(data, reflect.TypeOf(specInput{})); err != nil {
		return nil, err
	}
	var one specInput
	if err := dec(data, &one); err != nil {
		return nil, err
	}
	return []specInput{one}, nil
}

func sniffArray(data []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) }

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("field %s: got a JSON %s, want %s", te.Field, te.Value, te.Type)
	case errors.As(err, &se):
		return fmt.Errorf("syntax error at byte %d: %v", se.Offset, se)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func decodeTOML(data []byte) ([]specInput, error) {
	var f struct {
		Spec []specInput `toml:"spec"`
	}
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, tomlError(err)
	}
	if keys := md.Undecoded(); len(keys) > 0 {
		return nil, errors.New(unknownKey(keys[0], reflect.TypeOf(f)))
	}
	if err := checkTOMLKeys(md, reflect.TypeOf(f)); err != nil {
		return nil, err
	}
	return f.Spec, nil
}
