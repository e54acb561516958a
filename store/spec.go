package store

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/veloslet/veloslet/spec"
)

// The spec types are defined once, in package spec; the store keeps them
// under these names, which its callers have always used.
type (
	// Spec is one desired container instance, keyed by its stable uid.
	Spec = spec.Spec
	// RestartPolicy says what happens when a spec's instance exits.
	RestartPolicy = spec.RestartPolicy
	// DesiredState is whether a spec's instance should run.
	DesiredState = spec.DesiredState
	// ValidationError names the spec, the field and the bad value. It wraps ErrInvalid.
	ValidationError = spec.ValidationError
)

// Restart policies and desired states.
const (
	RestartAlways    = spec.RestartAlways
	RestartOnFailure = spec.RestartOnFailure
	RestartNever     = spec.RestartNever
	DesiredRunning   = spec.DesiredRunning
	DesiredStopped   = spec.DesiredStopped
)

// Limits on spec fields; see package spec.
const (
	MaxUIDLen           = spec.MaxUIDLen
	MaxNamePrefixLen    = spec.MaxNamePrefixLen
	MaxImageLen         = spec.MaxImageLen
	MaxArgs             = spec.MaxArgs
	MaxValueLen         = spec.MaxValueLen
	MaxExecBytes        = spec.MaxExecBytes
	MaxMemory           = spec.MaxMemory
	MaxCPUs             = spec.MaxCPUs
	ReservedLabelPrefix = spec.ReservedLabelPrefix
)

// quote prints a value for an error message, cut short.
func quote(s string) string { return spec.Quote(s) }

// hashSpec returns the spec hash of s's Container (see spec.Hash).
func hashSpec(key []byte, s *Spec) string { return spec.Hash(key, &s.Container) }

// A specs row has one column per field of Spec, named by the field's json
// key: text, integer and real columns for scalars (a bool is 0 or 1, a
// duration its text), JSON text for lists and maps, Unix milliseconds for
// times. The columns are read from the type, so a field added to spec.Spec
// needs only its migration here.
type specColumn struct {
	name  string
	index []int // reflect field index in Spec
	kind  columnKind
}

type columnKind int

const (
	colText columnKind = iota
	colInt
	colReal
	colBool
	colMarshaled // encoding.TextMarshaler, stored as its text
	colJSON
	colMillis
)

var (
	specCols      = specColumnsOf()
	specColumns   = columnList(specCols)
	specColIndex  = map[string]int{} // column name → position in specCols
	uidCol        = mustCol("uid")
	updatedAtCol  = mustCol("updated_at")
	specHashCol   = mustCol("spec_hash")
	createdAtCol  = mustCol("created_at")
	placeholders  = strings.TrimSuffix(strings.Repeat("?, ", len(specCols)), ", ")
	updateColumns = updateList(specCols)
)

func specColumnsOf() []specColumn {
	var out []specColumn
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(slices.Clone(index), i)
			if f.Anonymous {
				walk(f.Type, idx)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, specColumn{name: name, index: idx, kind: kindOf(f.Type)})
		}
	}
	walk(reflect.TypeOf(Spec{}), nil)
	return out
}

func kindOf(t reflect.Type) columnKind {
	switch {
	case t == reflect.TypeOf(time.Time{}):
		return colMillis
	case t.Implements(reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()):
		return colMarshaled
	}
	switch t.Kind() {
	case reflect.String:
		return colText
	case reflect.Int64:
		return colInt
	case reflect.Float64:
		return colReal
	case reflect.Bool:
		return colBool
	}
	return colJSON
}

func columnList(cols []specColumn) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func updateList(cols []specColumn) string {
	var sets []string
	for _, c := range cols {
		if c.name != "uid" && c.name != "created_at" {
			sets = append(sets, c.name+" = ?")
		}
	}
	return strings.Join(sets, ", ")
}

func mustCol(name string) int {
	if len(specColIndex) == 0 {
		for i, c := range specCols {
			specColIndex[c.name] = i
		}
	}
	i, ok := specColIndex[name]
	if !ok {
		panic("store: spec has no column " + name)
	}
	return i
}

// SpecColumns returns the specs table's columns, in the order the store
// reads them: one per field of spec.Spec.
func SpecColumns() []string { return strings.Split(specColumns, ", ") }

// columnValue is what the store writes to c's column for s.
func columnValue(s *Spec, c specColumn) any {
	f := reflect.ValueOf(s).Elem().FieldByIndex(c.index)
	switch c.kind {
	case colMillis:
		return Millis(f.Interface().(time.Time))
	case colMarshaled:
		b, _ := f.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b)
	case colBool:
		if f.Bool() {
			return int64(1)
		}
		return int64(0)
	case colJSON:
		switch {
		case f.Kind() == reflect.Slice && f.IsNil():
			return "[]"
		case f.Kind() == reflect.Map && f.IsNil():
			return "{}"
		}
		b, _ := json.Marshal(f.Interface()) // every spec field marshals
		return string(b)
	}
	return f.Interface()
}

// specArgs returns s's column values in specCols order.
func specArgs(s *Spec) []any {
	args := make([]any, len(specCols))
	for i, c := range specCols {
		args[i] = columnValue(s, c)
	}
	return args
}

// decodeSpec builds a spec from its row's raw column values (in specCols
// order). A column that does not decode names itself in the error.
func decodeSpec(raw [][]byte) (*Spec, error) {
	s := new(Spec)
	v := reflect.ValueOf(s).Elem()
	for i, c := range specCols {
		if err := setColumn(v.FieldByIndex(c.index), c.kind, raw[i]); err != nil {
			return nil, fmt.Errorf("spec %q: column %s: %w: %v", raw[uidCol], c.name, ErrInvalid, err)
		}
	}
	s.Normalize()
	return s, nil
}

func setColumn(f reflect.Value, kind columnKind, b []byte) error {
	switch kind {
	case colText:
		f.SetString(string(b))
	case colInt, colBool, colMillis:
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return err
		}
		switch kind {
		case colInt:
			f.SetInt(n)
		case colBool:
			if n != 0 && n != 1 {
				return fmt.Errorf("%d is not 0 or 1", n)
			}
			f.SetBool(n == 1)
		default:
			f.Set(reflect.ValueOf(time.UnixMilli(n).UTC()))
		}
	case colReal:
		x, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case colMarshaled:
		return f.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(b)
	case colJSON:
		return json.Unmarshal(b, f.Addr().Interface())
	}
	return nil
}
