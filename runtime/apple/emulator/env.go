package main

import (
	"fmt"
	"os"
	"strings"
)

// allEnv is Parser.allEnv: the image's env, then each env file, then the
// --env list; the image's env and the list go through Parser.env. Up to
// 0.9 every entry is kept, a name set twice included (and the first, the
// image's, wins inside the container); from 0.10.0 a later entry replaces
// an earlier one of the same name.
func (e *emu) allEnv(image, files, list []string) ([]string, error) {
	out := e.envList(image)
	for _, f := range files {
		lines, err := e.envFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	out = append(out, e.envList(list)...)
	if !e.atLeast(0, 10) {
		return out, nil
	}
	var kept []string
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		later := false
		for _, w := range out[i+1:] {
			if wk, _, _ := strings.Cut(w, "="); wk == k {
				later = true
				break
			}
		}
		if !later {
			kept = append(kept, kv)
		}
	}
	return kept, nil
}

// envList is Parser.env. A bare name takes the CLI's own value, any value
// (empty included), and is dropped when unset (every tag).
//
// 0.1.0–0.7.1: the entry is split on '=' with empty pieces omitted, and one
// piece means "a bare name": so "K=" (and "K==", "=V") is looked up whole —
// the name "K=" — which no environment has, and the variable is dropped.
// 0.8.0 on: only an entry without '=' is a name; "K=" sets K to "".
func (e *emu) envList(list []string) []string {
	var out []string
	for _, kv := range list {
		bare := !strings.Contains(kv, "=")
		if !e.atLeast(0, 8) {
			bare = len(strings.FieldsFunc(kv, func(r rune) bool { return r == '=' })) == 1
		}
		if bare {
			val, set := os.LookupEnv(kv)
			if !set {
				continue
			}
			kv += "=" + val
		}
		out = append(out, kv)
	}
	return out
}

// isNewline is Foundation's CharacterSet.newlines, by which the env file is split.
func isNewline(r rune) bool { return strings.ContainsRune("\n\v\f\r\u0085\u2028\u2029", r) }

// envFile is Parser.envFile.
//
// 0.1.0–0.5.x: each line trimmed of white space at both ends; blank lines
// and '#' lines skipped; the line split on '=' (empty pieces omitted) must
// give exactly two pieces, else it is skipped silently — so an empty value
// or a value holding '=' is dropped; key and value trimmed again, and a
// line whose value is then empty is dropped too.
// 0.6.0 on (a port of moby's kvfile): leading white space of the line is
// dropped, nothing at its end; the name is what comes before the first
// '=', the value everything after it (empty allowed); a line without '='
// is a bare name looked up in the CLI's environment.
func (e *emu) envFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notFound: \"envfile at %s not found\"", path)
	}
	var out []string
	for _, line := range strings.FieldsFunc(string(b), isNewline) {
		if !e.atLeast(0, 6) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			kv := strings.FieldsFunc(line, func(r rune) bool { return r == '=' })
			if len(kv) != 2 {
				continue
			}
			k, v := strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1])
			if k != "" && v != "" {
				out = append(out, k+"="+v)
			}
			continue
		}
		line = strings.TrimLeftFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || isNewline(r) })
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, hasValue := strings.Cut(line, "=")
		if k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("invalidArgument: \"variable '%s' contains whitespaces or is empty\"", k)
		}
		if !hasValue {
			val, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = val
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}
