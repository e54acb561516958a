package main

import (
	"reflect"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/spec"
)

// unknownKey describes an undecoded TOML key of a file decoded into typ,
// with the known key it was most likely meant to be: "unknown key
// runtime.name_prefx (did you mean name_prefix?)".
func unknownKey(key toml.Key, typ reflect.Type) string { return spec.UnknownKey(key, typ) }
