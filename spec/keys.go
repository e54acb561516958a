package spec

import (
	"reflect"
	"strings"
)

// field is one key of a struct as a file writes it, with the fields of
// embedded structs (Spec's Container) flattened into their parent.
type field struct {
	name  string
	typ   reflect.Type
	store bool // set by the store: a file may not write it
}

// fieldsOf lists typ's keys by tag ("json" or "toml"). A field tagged "-"
// for tag but with a json key (the store's) is listed under that key, so
// that a file naming it is told why it is refused.
func fieldsOf(typ reflect.Type, tag string) []field {
	var out []field
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get(tag) == "" {
			out = append(out, fieldsOf(f.Type, tag)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		store := f.Tag.Get("spec") == "store"
		if name == "-" && store {
			name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
		}
		if name == "" || name == "-" {
			continue
		}
		out = append(out, field{name: name, typ: f.Type, store: store})
	}
	return out
}

// lookup finds key among typ's fields: the field when exact, else the key
// it matches in another letter case ("" when none).
func lookup(typ reflect.Type, tag, key string) (f field, exact bool, other string) {
	for _, f := range fieldsOf(typ, tag) {
		if f.name == key {
			return f, true, ""
		}
		if strings.EqualFold(f.name, key) {
			other = f.name
		}
	}
	return field{}, false, other
}

// aliases are the keys other tools use for a spec's fields, and keys of
// features a spec does not have yet, with what to write instead.
var aliases = map[string]string{
	"cmd":               "did you mean command?",
	"args":              "did you mean command?",
	"environment":       "did you mean env?",
	"name":              "did you mean uid?",
	"container_name":    "did you mean uid?",
	"working_dir":       "did you mean workdir?",
	"workingdir":        "did you mean workdir?",
	"working_directory": "did you mean workdir?",
	"cwd":               "did you mean workdir?",
	"entry_point":       "did you mean entrypoint?",
	"publish":           "did you mean ports?",
	"mounts":            "did you mean volumes?",
	"networks":          "did you mean network?",
	"restart_policy":    "did you mean restart?",
	"mem_limit":         "did you mean memory?",
	"max_attempts":      "did you mean restart_max_attempts?",
	"max_retries":       "did you mean restart_max_attempts?",
	"max_size":          "did you mean log_max_size?",
	"log_size":          "did you mean log_max_size?",
	"log_opt":           "did you mean log_max_size?",
	"logging":           "did you mean log_max_size?",
	"stop_grace_period": "did you mean stop_timeout?",
	"stopsignal":        "did you mean stop_signal?",
	"read_only_rootfs":  "did you mean read_only?",
	"readonly":          "did you mean read_only?",
	"healthcheck":       "did you mean health? (a table: cmd, http or tcp, interval, retries …)",
	"privileged":        "not supported: grant what the container needs with cap_add",
}

// suggest says what an unknown key of typ was most likely meant to be:
// a known alias, or the key at most two edits away. "" when nothing fits.
func suggest(typ reflect.Type, tag, key string) string {
	if typ == reflect.TypeOf(Spec{}) {
		if s, ok := aliases[strings.ToLower(key)]; ok {
			return s
		}
	}
	best, bestDist := "", 3 // at most 2 edits away
	for _, f := range fieldsOf(typ, tag) {
		if f.store {
			continue
		}
		if d := editDistance(key, f.name); d < bestDist {
			best, bestDist = f.name, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// unknown describes key (at path where) that typ lacks.
func unknown(typ reflect.Type, tag, where, key string) string {
	if f, ok, _ := lookup(typ, tag, key); ok && f.store {
		return "key " + where + " is set by the store, not by a spec"
	}
	msg := "unknown key " + where
	if s := suggest(typ, tag, key); s != "" {
		msg += " (" + s + ")"
	}
	return msg
}
