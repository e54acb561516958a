package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// ChangedFields returns the keys (as in a spec file) of the Container fields
// whose values differ between a and b, in the order of the type, so that an
// event can say "changed: image, memory" rather than that something did.
// A nil list or map equals an empty one, as it does for the hash. Only the
// keys are returned, never values: env values often hold secrets.
func ChangedFields(a, b *Container) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	var changed []string
	for i := range t.NumField() {
		fa, fb := va.Field(i), vb.Field(i)
		if isEmpty(fa) && isEmpty(fb) || (fa.IsZero() && fb.IsZero()) {
			continue
		}
		// encoding/json sorts map keys, so equal values encode the same;
		// every field type marshals (the hash relies on it too).
		ja, _ := json.Marshal(fa.Interface())
		jb, _ := json.Marshal(fb.Interface())
		if !bytes.Equal(ja, jb) {
			changed = append(changed, jsonKey(t.Field(i)))
		}
	}
	return changed
}
