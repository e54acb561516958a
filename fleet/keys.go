package fleet

import (
	"regexp"
	"strings"
)

// keyPattern is NATS's rule for a key-value key (the client refuses any
// other): these characters, no empty token.
var keyPattern = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

// ValidKey reports whether k is a key NATS accepts. A raw publish to the
// bucket's subjects can store a key that breaks the rule ("n.>", an escape
// character, non-ASCII): the node refuses such a key once and never builds
// a status key or an event subject from it.
func ValidKey(k string) bool {
	return keyPattern.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") &&
		!strings.Contains(k, "..")
}

// subjectToken is uid as the tail of an event subject: "_" when the uid is
// empty or would not make a literal subject (the event's body still names
// it), so that no event goes out on a wildcard or an invalid subject.
func subjectToken(uid string) string {
	if uid == "" || !ValidKey(uid) {
		return "_"
	}
	return uid
}
