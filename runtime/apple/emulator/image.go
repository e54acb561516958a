package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// imageConfig is the part of an OCI image configuration that `run` reads.
type imageConfig struct {
	Entrypoint []string `json:"entrypoint"`
	Cmd        []string `json:"cmd"`
	Env        []string `json:"env"`
}

// builtinImages are the images the tests use, configured as on Docker Hub.
var builtinImages = map[string]imageConfig{
	"alpine":  {Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	"busybox": {Cmd: []string{"sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
}

// image returns ref's configuration: from CONTAINER_EMU_IMAGES (a JSON
// object of reference → configuration) if it names ref, else the built-in
// one of its repository's last component ("docker.io/library/alpine:3.20" is
// alpine's). Any other image behaves as alpine: the emulator pulls nothing.
func image(ref string) (imageConfig, error) {
	if path := os.Getenv("CONTAINER_EMU_IMAGES"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return imageConfig{}, err
		}
		var m map[string]imageConfig
		if err := json.Unmarshal(b, &m); err != nil {
			return imageConfig{}, fmt.Errorf("CONTAINER_EMU_IMAGES: %v", err)
		}
		if c, ok := m[ref]; ok {
			return c, nil
		}
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	name, _, _ = strings.Cut(name, "@")
	name, _, _ = strings.Cut(name, ":")
	if c, ok := builtinImages[name]; ok {
		return c, nil
	}
	return builtinImages["alpine"], nil
}

// process is Parser.process's command (every tag): --entrypoint, else the
// image's entrypoint; then the arguments after the image, else — unless
// --entrypoint was given — the image's cmd. The first word is the executable.
func (e *emu) process(img imageConfig, entrypoint string, args []string) (string, []string, error) {
	var cmd []string
	override := entrypoint != ""
	if override {
		cmd = []string{entrypoint}
	} else {
		cmd = append(cmd, img.Entrypoint...)
	}
	if len(args) > 0 {
		cmd = append(cmd, args...)
	} else if !override {
		cmd = append(cmd, img.Cmd...)
	}
	if len(cmd) == 0 {
		msg := "command/entrypoint not specified for container process" // 0.8.0 on
		if !e.atLeast(0, 8) {
			msg = "Command/Entrypoint not specified for container process"
		}
		return "", nil, fmt.Errorf(`invalidArgument: "%s"`, msg)
	}
	return cmd[0], cmd[1:], nil
}
