package main

import (
	"io"

	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// ErrSpecFile is wrapped by every error reading a spec file (exit code 2).
var ErrSpecFile = spec.ErrFile

// DecodeSpecs reads specs from TOML ([[spec]] tables) or JSON (an object or
// an array of objects) with the one spec decoder, package spec's. format is
// "toml", "json" or "" to guess from the content.
func DecodeSpecs(r io.Reader, format string) ([]store.Spec, error) { return spec.Decode(r, format) }

// ParseMemory parses "512M", "1G", "1.5GiB", "1048576" (bytes); see spec.ParseMemory.
func ParseMemory(s string) (int64, error) { return spec.ParseMemory(s) }
