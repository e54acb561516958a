package main

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// term makes s safe to print on an operator's terminal: control characters
// (C0 including newline and tab, DEL, C1), the line and paragraph
// separators and the bidirectional overrides are written as Go escapes
// (\x1b, \n, \u202e), and bytes that are not UTF-8 as \xNN. Ordinary text,
// any script included, is left alone. Every human-readable printer passes
// the values it did not write itself (reasons, errors, uids, images) through
// it, so a command carrying ESC sequences cannot repaint the terminal of an
// operator reading `events` or `status`; JSON output keeps the exact
// string, which the encoder escapes.
func term(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatInt(int64(s[i])|0x100, 16)[1:])
		case needsEscape(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional controls reorder what follows on screen
	case r == utf8.RuneError:
		return true // a byte that is not UTF-8 (a real U+FFFD prints as \ufffd)
	}
	return false
}
