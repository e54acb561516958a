package spec

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
)

// legacyHashKeys are the fields the hash covered before the others existed:
// always encoded, in this order, so that a spec that sets none of the later
// fields keeps the hash (and its instance) it had.
var legacyHashKeys = map[string]bool{"image": true, "command": true, "env": true, "cpus": true, "memory": true, "labels": true}

// Hash returns the hash of the spec's Container: every launch-defining
// field, and nothing else (restart policy and desired state can change
// without replacing a running container). A field after the first six is
// encoded only when it is set. The hash is keyed with a secret of the store
// so that the label does not let anyone test guesses of env values, which
// often hold secrets.
func Hash(key []byte, c *Container) string {
	var b bytes.Buffer
	b.WriteByte('{')
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	first := true
	for _, legacy := range []bool{true, false} {
		for i := range t.NumField() {
			name := jsonKey(t.Field(i))
			f := v.Field(i)
			if legacyHashKeys[name] != legacy || (!legacy && f.IsZero()) || (!legacy && isEmpty(f)) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			k, _ := json.Marshal(name)
			b.Write(k)
			b.WriteByte(':')
			// encoding/json sorts map keys, so the encoding is canonical;
			// every field type marshals.
			val, _ := json.Marshal(f.Interface())
			b.Write(val)
		}
	}
	b.WriteByte('}')
	m := hmac.New(sha256.New, key)
	m.Write(b.Bytes())
	return hex.EncodeToString(m.Sum(nil))[:16]
}

func isEmpty(f reflect.Value) bool {
	return (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0
}

func jsonKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}
