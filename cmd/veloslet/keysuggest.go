package main

import (
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// unknownKey describes an undecoded TOML key of a file decoded into typ,
// with the known key it was most likely meant to be: "unknown key
// runtime.name_prefx (did you mean name_prefix?)".
func unknownKey(key toml.Key, typ reflect.Type) string {
	msg := "unknown key " + key.String()
	t := typ
	for _, part := range key[:len(key)-1] {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return msg
		}
		f, ok := fieldType(t, part)
		if !ok {
			return msg
		}
		t = f
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return msg
	}
	last, best, bestDist := key[len(key)-1], "", 3 // at most 2 edits away
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		if d := editDistance(last, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return msg
	}
	return msg + " (did you mean " + best + "?)"
}

func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ","); name == key {
			return t.Field(i).Type, true
		}
	}
	return nil, false
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
