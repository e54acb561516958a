package store

import (
	"bytes"
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
	case reflect.Int, reflect.Int64:
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
		// Most launch fields are unset: "[]" and "{}" skip the JSON decoder,
		// which a first read of 100,000 rows would otherwise run ten times a row.
		switch {
		case string(b) == "[]" && f.Kind() == reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			return nil
		case string(b) == "{}" && f.Kind() == reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
			return nil
		}
		return json.Unmarshal(b, f.Addr().Interface())
	}
	return nil
}

// The cache's read (readSpecs) takes each specs row as few values: the
// numeric columns as numbers, then every text column joined by NUL bytes,
// uid first. No text column can hold a NUL (their CHECKs refuse one), so
// the split is exact. Each text value the driver hands over costs an
// allocation, and SQLite's turning a number into text costs more: a row of
// 27 values read one by one cost three times what the 13 columns before
// migration 00010 did.
var (
	numCols, packedCols = splitCols()
	packedSelect        = packedList()
)

func isNumeric(k columnKind) bool {
	return k == colReal || k == colInt || k == colBool || k == colMillis
}

func splitCols() (nums, packed []int) {
	for i, c := range specCols {
		if isNumeric(c.kind) {
			nums = append(nums, i)
		} else {
			packed = append(packed, i)
		}
	}
	if specCols[packed[0]].name != "uid" {
		panic("store: uid must be the first packed column")
	}
	return nums, packed
}

func packedList() string {
	var sel, cat []string
	for _, i := range numCols {
		sel = append(sel, specCols[i].name)
	}
	for _, i := range packedCols {
		cat = append(cat, specCols[i].name)
	}
	return strings.Join(append(sel, strings.Join(cat, " || char(0) || ")), ", ")
}

// numDest returns scan destinations for the numeric columns: *float64 for
// a REAL, *int64 for the others.
func numDest(reals []float64, ints []int64) []any {
	dest := make([]any, len(numCols))
	for j, i := range numCols {
		if specCols[i].kind == colReal {
			dest[j] = &reals[j]
		} else {
			dest[j] = &ints[j]
		}
	}
	return dest
}

// unpack returns a row read with packedSelect as its columns' raw values
// in specCols order, numbers as their decimal text.
func unpack(reals []float64, ints []int64, packed []byte) ([][]byte, error) {
	parts := bytes.Split(packed, []byte{0})
	if len(parts) != len(packedCols) {
		return nil, fmt.Errorf("spec %q: %w: a column contains a NUL byte", parts[0], ErrInvalid)
	}
	raw := make([][]byte, len(specCols))
	for j, i := range packedCols {
		raw[i] = parts[j]
	}
	for j, i := range numCols {
		if specCols[i].kind == colReal {
			raw[i] = strconv.AppendFloat(nil, reals[j], 'g', -1, 64)
		} else {
			raw[i] = strconv.AppendInt(nil, ints[j], 10)
		}
	}
	return raw, nil
}
