package apple

import (
	"strconv"
	"strings"
)

// gone reports whether a failed stop or delete of name failed only because
// no container has that name, by the exact sentence each release prints for
// it (read from apple/container's Swift source). It matches the sentence
// that names this container, never a loose "not found" anywhere in stderr:
// an unrelated failure ("image not found", another container) stays an
// error. A sentence it does not know is left to the second look (settle).
func gone(verb, name string, e *CommandError) bool {
	if e.ExitCode != 1 {
		return false
	}
	s := e.Stderr
	// 0.11 on, stop and delete: the service's error, as the cause.
	if strings.Contains(s, `"notFound: "container with ID `+name+` not found""`) {
		return true
	}
	if verb != "delete" {
		return false // up to 0.10 stop of a missing container exits 0
	}
	// Up to 0.10 delete checks the list first; one id gives a one-element set.
	msg := "failed to delete one or more containers: [" + strconv.Quote(name) + "]"
	return s == "Error: notFound: \""+msg+"\"" || // up to 0.9: with the error's code
		s == "Error: "+msg // 0.10.x only: the bare message, no "notFound"
}
