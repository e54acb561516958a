package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// encoding/json matches an object key to a struct field in any case and lets
// a repeated key overwrite the first ({"uid":"a","uid":"b"} gives b), and
// BurntSushi/toml falls back to a case-insensitive match too ("UID" and
// "uid" are two TOML keys for one field: the later wins). A file must say
// one thing, so before decoding, keys are checked against the Go type:
// struct fields by their exact tag, no key twice in one object, no key the
// type lacks. Every problem is reported, not only the first, so that one
// round of edits fixes a file. Go 1.26's encoding/json/v2 refuses the first
// two by default but still needs GOEXPERIMENT=jsonv2, which a release build
// cannot assume.

// checkJSONKeys walks data's tokens along typ and returns every key that is
// repeated in its object, names a field in another letter case, is unknown
// or is set by the store, and every duration that does not parse, by its
// path (the decoder proper would stop at the first, unable to name it).
func checkJSONKeys(data []byte, typ reflect.Type) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var problems []string
	err := walkJSON(d, typ, "", &problems)
	var se *json.SyntaxError
	if errors.Is(err, io.EOF) || errors.As(err, &se) {
		err = nil // the decoder proper reports truncated input and syntax errors, with their offset
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// maxProblems bounds the list an error carries.
const maxProblems = 20

func walkJSON(d *json.Decoder, typ reflect.Type, path string, problems *[]string) error {
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	tok, err := d.Token()
	if err != nil {
		return err
	}
	note := func(s string) {
		if len(*problems) < maxProblems {
			*problems = append(*problems, s)
		}
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		if p := jsonDurationProblem(typ, tok, path); p != "" {
			note(p)
		}
		return nil
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if typ != nil && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array) {
			elem = typ.Elem()
		}
		for i := 0; d.More(); i++ {
			if err := walkJSON(d, elem, fmt.Sprintf("%s[%d]", path, i), problems); err != nil {
				return err
			}
		}
	case '{':
		seen := map[string]bool{}
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			where := strings.TrimPrefix(path+"."+key, ".")
			if seen[key] {
				note(fmt.Sprintf("key %q appears twice in one object (at %s)", key, where))
			}
			seen[key] = true
			var next reflect.Type
			switch {
			case typ != nil && typ.Kind() == reflect.Struct && !isText(typ):
				f, exact, other := lookup(typ, "json", key)
				switch {
				case exact && f.store:
					note(unknown(typ, "json", where, key))
				case exact:
					next = f.typ
				case other != "":
					note(fmt.Sprintf("key %q: did you mean %q? keys are case-sensitive", where, other))
				default:
					note(unknown(typ, "json", where, key))
				}
			case typ != nil && typ.Kind() == reflect.Map:
				next = typ.Elem()
			}
			if err := walkJSON(d, next, where, problems); err != nil {
				return err
			}
		}
	}
	_, err = d.Token() // the closing delimiter
	return err
}

// isText reports whether values of t are written as strings.
func isText(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]())
}

// CheckTOMLKeys returns every key in md that typ lacks (with a suggestion)
// or names a field of typ in another letter case. TOML itself refuses a key
// defined twice.
func CheckTOMLKeys(md toml.MetaData, typ reflect.Type) error {
	var problems []string
	for _, key := range md.Undecoded() {
		if len(problems) < maxProblems {
			problems = append(problems, UnknownKey(key, typ))
		}
	}
	for _, key := range md.Keys() {
		t := typ
		for i, part := range key {
			for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
				t = t.Elem()
			}
			if t == nil || t.Kind() != reflect.Struct || isText(t) {
				if t != nil && t.Kind() == reflect.Map {
					t = t.Elem()
					continue
				}
				break
			}
			f, exact, other := lookup(t, "toml", part)
			if !exact && other != "" && len(problems) < maxProblems {
				problems = append(problems, fmt.Sprintf("key %s: did you mean %q? keys are case-sensitive", strings.Join(key[:i+1], "."), other))
			}
			t = f.typ
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// UnknownKey describes an undecoded TOML key of a file decoded into typ,
// with the known key it was most likely meant to be: "unknown key
// runtime.name_prefx (did you mean name_prefix?)".
func UnknownKey(key toml.Key, typ reflect.Type) string {
	t := typ
	for _, part := range key[:len(key)-1] {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return "unknown key " + key.String()
		}
		f, ok, _ := lookup(t, "toml", part)
		if !ok {
			return "unknown key " + key.String()
		}
		t = f.typ
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return "unknown key " + key.String()
	}
	return unknown(t, "toml", key.String(), key[len(key)-1])
}
