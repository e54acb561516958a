package main

import "github.com/veloslet/veloslet/spec"

// tomlError turns the TOML decoder's error into one line in the file's
// terms; the spec package words it for spec files and the config alike.
func tomlError(err error) error { return spec.TOMLError(err) }
