package main

import (
	"reflect"

	"github.com/BurntSushi/toml"

	"github.com/veloslet/veloslet/spec"
)

// checkTOMLKeys returns the keys in md that typ lacks or names in another
// letter case; the config is checked with the spec files' rules.
func checkTOMLKeys(md toml.MetaData, typ reflect.Type) error { return spec.CheckTOMLKeys(md, typ) }
