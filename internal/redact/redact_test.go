package redact_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/internal/redact"
)

// TestEnv: what the package comment promises is redacted, and what it says
// it does not promise is indeed left, so the documentation stays true.
func TestEnv(t *testing.T) {
	env := map[string]string{"A": "abc", "LONG": "password123", "LONGER": "password1234", "EMPTY": "",
		"TOKEN": "s3cret/Value+x", "Q": `pa"ss\wo rd`}
	b64 := base64.StdEncoding.EncodeToString([]byte("user:s3cret/Value+x"))
	for _, c := range []struct{ name, in, want string }{
		{"verbatim, longest first", "x=abc abcd password1234 password123 (abc)", "x=[env A] abcd [env LONGER] [env LONG] ([env A])"},
		{"inside a word", "tokens3cret/Value+xyz", "token[env TOKEN]yz"},
		{"upper case", "TOKEN=S3CRET/VALUE+X", "TOKEN=[env TOKEN]"},
		{"short value in any case as a word", "ABC, Abc; xabc", "[env A], [env A]; xabc"},
		{"json escaped", `{"msg":"pa\"ss\\wo rd"}`, `{"msg":"[env Q]"}`},
		{"url escaped", "GET /?t=s3cret%2FValue%2Bx", "GET /?t=[env TOKEN]"},
		{"base64 alone", "t=" + base64.StdEncoding.EncodeToString([]byte("s3cret/Value+x")), "t=[env TOKEN]"},
		{"base64 url alphabet", "t=" + base64.RawURLEncoding.EncodeToString([]byte("s3cret/Value+x")), "t=[env TOKEN]"},
	} {
		if got := redact.Env(c.in, env); got != c.want {
			t.Errorf("%s: Env(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
	// Inside a longer base64 text, at each alignment.
	for _, pre := range []string{"u:", "us:", "use:"} {
		enc := base64.StdEncoding.EncodeToString([]byte(pre + "s3cret/Value+x" + "!tail"))
		got := redact.Env("Basic "+enc, env)
		if !strings.Contains(got, "[env TOKEN]") {
			t.Errorf("base64 of %q: %q not redacted", pre+"s3cret/Value+x!tail", got)
		}
	}
	if got := redact.Env(b64, env); !strings.Contains(got, "[env TOKEN]") {
		t.Errorf("base64 of user:secret: %q", got)
	}
	// Not promised, and not done: a value split across lines.
	if got := redact.Env("s3cret/\nValue+x", env); got != "s3cret/\nValue+x" {
		t.Errorf("split value: %q; the promise in the package comment is out of date", got)
	}
	if got := redact.Error(errors.New("died: s3cret/Value+x"), env); got != "died: [env TOKEN]" {
		t.Errorf("Error = %q", got)
	}
}

func TestArgs(t *testing.T) {
	got := redact.Args([]string{"run", "--env", "K=v", "--label", "a=b", "--env", "BARE"}, "--env")
	if want := "run --env K=… --label a=b --env BARE"; strings.Join(got, " ") != want {
		t.Fatalf("Args = %q, want %q", got, want)
	}
}
