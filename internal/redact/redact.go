// Package redact is the one place where env values are taken out of text
// before it is stored or logged: a crashed instance's output, a runtime's
// error message (which may quote the container's output), an event's
// message. It imports nothing of this module, so runtime/, supervisor/,
// fleet/ and cmd/ can all use it.
//
// What Env promises, for each non-empty value V of the env it is given
// (docs/reliability.md, "What redaction promises", says the same):
//
//   - V of at least MinLength bytes is replaced wherever it occurs, in any
//     ASCII letter case ("S3CRET" is caught for "s3cret"), also inside a
//     longer word;
//   - so are these forms of it: JSON-escaped (as a JSON log line writes V),
//     URL query-escaped, and base64 (standard and URL alphabets, padded or
//     not), the last also inside a longer base64 text at any alignment, as
//     long as the part of V it covers is MinLength characters of base64;
//   - V shorter than MinLength is replaced only where it stands as a whole
//     word (no letter or digit on either side), verbatim and in any ASCII
//     case; its encodings are not looked for.
//
// What it does not promise: a value split across lines, writes or log
// records; a value transformed otherwise (hex, hashed, reversed, compressed,
// quoted in another escaping, partly printed); a short value inside a word
// ("on" in "button"); secrets that are not env values (read from a file or
// a volume, or made by the container). Redaction is a safety net for
// output, not a way to keep secrets: a container that prints its secrets
// must be fixed.
package redact

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinLength is the length from which a value is replaced wherever it
// occurs; shorter values only as a whole word. Replacing a value such as
// "1" or "on" everywhere would leave nothing of the output readable.
const MinLength = 6

// Mark is what a value of key is replaced by.
func Mark(key string) string { return "[env " + key + "]" }

// pattern is one form of one value to replace.
type pattern struct {
	text  string // lower-cased (ASCII)
	mark  string
	whole bool // only as a whole word
}

// Env returns text with every value of env (and the forms of it listed in
// the package comment) replaced by Mark(key). Longer patterns go first, so
// a value that contains another is replaced whole.
func Env(text string, env map[string]string) string {
	if text == "" || len(env) == 0 {
		return text
	}
	for _, p := range patterns(env) {
		text = replace(text, p)
	}
	return text
}

// Error returns err's message with env redacted as Env does ("" for nil):
// the form in which a runtime's error, which may quote a container's
// output, is logged or stored.
func Error(err error, env map[string]string) string {
	if err == nil {
		return ""
	}
	return Env(err.Error(), env)
}

func patterns(env map[string]string) []pattern {
	var ps []pattern
	seen := map[string]bool{}
	add := func(s, key string, whole bool) {
		s = lower(s)
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		ps = append(ps, pattern{text: s, mark: Mark(key), whole: whole})
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		v := env[k]
		if len(v) < MinLength {
			add(v, k, true)
			continue
		}
		add(v, k, false)
		if q, err := json.Marshal(v); err == nil {
			add(string(q[1:len(q)-1]), k, false)
		}
		add(url.QueryEscape(v), k, false)
		for _, s := range base64Forms(v) {
			add(s, k, false)
		}
	}
	slices.SortStableFunc(ps, func(a, b pattern) int { return cmp.Compare(len(b.text), len(a.text)) })
	return ps
}

// base64Forms returns the parts of v's base64 encoding that do not depend
// on what stands before or after v, for each of the three alignments v can
// have in a longer encoded text, in both alphabets; those shorter than
// MinLength are left out.
func base64Forms(v string) []string {
	var out []string
	for shift := range 3 {
		enc := base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("\x00", shift) + v))
		// The first characters mix the shift's bytes with v's; the last
		// may mix v's end with what follows.
		start := 0
		if shift > 0 {
			start = (shift*8 + 5) / 6
		}
		end := len(enc)
		if (shift+len(v))%3 != 0 {
			end-- // the last character holds a partial group
		}
		if end-start < MinLength {
			continue
		}
		core := enc[start:end]
		out = append(out, core, strings.NewReplacer("+", "-", "/", "_").Replace(core))
	}
	// The whole encoding of v alone, padded or not.
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, e.EncodeToString([]byte(v)))
	}
	return out
}

// replace replaces p in text, matching ASCII letters in either case.
func replace(text string, p pattern) string {
	low := lower(text) // same length as text: only ASCII bytes change
	var sb strings.Builder
	from := 0
	for at := 0; ; {
		i := strings.Index(low[at:], p.text)
		if i < 0 {
			break
		}
		i += at
		j := i + len(p.text)
		at = j
		if p.whole && (word(text[:i], true) || word(text[j:], false)) {
			continue
		}
		sb.WriteString(text[from:i])
		sb.WriteString(p.mark)
		from = j
	}
	if from == 0 {
		return text
	}
	sb.WriteString(text[from:])
	return sb.String()
}

// word reports whether the rune beside the match (the last of s if before,
// else the first) is a letter or digit.
func word(s string, before bool) bool {
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(s)
	} else {
		r, _ = utf8.DecodeRuneInString(s)
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// lower lower-cases ASCII letters only, so the result has s's length and
// an index in it is an index in s.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Args returns a copy of args with the value after each of flags (such as
// --env) cut to "KEY=…": a command line must never show an env value.
func Args(args []string, flags ...string) []string {
	out := slices.Clone(args)
	for i := 1; i < len(out); i++ {
		if slices.Contains(flags, out[i-1]) {
			if k, _, ok := strings.Cut(out[i], "="); ok {
				out[i] = k + "=…"
			}
		}
	}
	return out
}
