package main

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
// struct fields by their exact tag, no key twice in one object. Go 1.26's
// encoding/json/v2 refuses both by default but still needs
// GOEXPERIMENT=jsonv2, which a release build cannot assume.

// checkJSONKeys walks data's tokens along typ and returns the first key that
// is repeated in its object or names a field with other letter case.
func checkJSONKeys(data []byte, typ reflect.Type) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	err := walkJSON(d, typ, "")
	if errors.Is(err, io.EOF) {
		return nil // the decoder proper reports truncated input
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil // and syntax errors, with their offset
	}
	return err
}

func walkJSON(d *json.Decoder, typ reflect.Type, path string) error {
	for typ != nil && typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	tok, err := d.Token()
	if err != nil {
		return err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if typ != nil && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array) {
			elem = typ.Elem()
		}
		for i := 0; d.More(); i++ {
			if err := walkJSON(d, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
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
				return fmt.Errorf("key %q appears twice in one object (at %s)", key, where)
			}
			seen[key] = true
			var next reflect.Type
			switch {
			case typ != nil && typ.Kind() == reflect.Struct:
				f, exact, other := fieldByTag(typ, "json", key)
				if !exact && other != "" {
					return fmt.Errorf("key %q: did you mean %q? keys are case-sensitive", where, other)
				}
				next = f
			case typ != nil && typ.Kind() == reflect.Map:
				next = typ.Elem()
			}
			if err := walkJSON(d, next, where); err != nil {
				return err
			}
		}
	}
	_, err = d.Token() // the closing delimiter
	return err
}

// fieldByTag finds key among typ's fields by their tag: the field's type and
// true for an exact match, or the tag it matches in another case.
func fieldByTag(typ reflect.Type, tag, key string) (reflect.Type, bool, string) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "" || name == "-" {
			continue
		}
		if name == key {
			return f.Type, true, ""
		}
		if strings.EqualFold(name, key) {
			return nil, false, name
		}
	}
	return nil, false, ""
}

// checkTOMLKeys returns the first key in md that names a field of typ in
// another letter case (TOML itself refuses a key defined twice).
func checkTOMLKeys(md toml.MetaData, typ reflect.Type) error {
	for _, key := range md.Keys() {
		t := typ
		for i, part := range key {
			for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
				t = t.Elem()
			}
			if t == nil || t.Kind() != reflect.Struct {
				if t != nil && t.Kind() == reflect.Map {
					t = t.Elem()
					continue
				}
				break
			}
			f, exact, other := fieldByTag(t, "toml", part)
			if !exact && other != "" {
				return fmt.Errorf("key %s: did you mean %q? keys are case-sensitive", strings.Join(key[:i+1], "."), other)
			}
			t = f
		}
	}
	return nil
}
