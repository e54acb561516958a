package spec

import (
	"errors"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// A Duration's UnmarshalText does not know which field it fills: it names
// the field durationField, and each decoder, which does know the key it
// was decoding, puts the real name in (health.interval, stop_timeout).
const durationField = "duration"

var durationType = reflect.TypeFor[Duration]()

func badDuration(field, value string) *ValidationError {
	return &ValidationError{Field: field, Value: quote(value), Reason: "want a duration such as \"10s\""}
}

// nameTOMLDuration gives a bad duration the TOML decoder met the key it was
// decoding, as the spec's own path ("health.interval"). The decoder's
// ParseError carries the message only (it does not unwrap), so the message
// is what is renamed; any other error is returned as it is.
func nameTOMLDuration(err error) error {
	var pe toml.ParseError
	prefix := durationField + " = "
	if !errors.As(err, &pe) || pe.LastKey == "" || !strings.HasPrefix(pe.Message, prefix) {
		return err
	}
	pe.Message = strings.TrimPrefix(pe.LastKey, "spec.") + " = " + strings.TrimPrefix(pe.Message, prefix) // "spec." is the [[spec]] table
	return pe
}

// jsonDurationProblem checks a JSON token bound for a Duration at path
// ("[0].health.interval") and describes it when it does not parse; "" when
// it does or is not a string (the decoder proper refuses other types, with
// the field named).
func jsonDurationProblem(typ reflect.Type, tok any, path string) string {
	s, ok := tok.(string)
	if typ != durationType || !ok || s == "" {
		return ""
	}
	if _, err := time.ParseDuration(s); err == nil {
		return ""
	}
	field := path
	if strings.HasPrefix(field, "[") {
		if _, rest, ok := strings.Cut(field, "]."); ok {
			field = rest
		}
	}
	return badDuration(field, s).Error()
}
