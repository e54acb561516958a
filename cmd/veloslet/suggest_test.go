package main

import (
	"strings"
	"testing"
)

func TestCLI_MistypedVerbSuggests(t *testing.T) {
	e := newTestEnv(t, "")
	for typed, want := range map[string]string{"statsu": "did you mean status?", "aply": "did you mean apply?"} {
		_, stderr, code := e.run("", typed)
		if code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("veloslet %s: exit %d, %q; want exit %d and %q", typed, code, stderr, ExitUsage, want)
		}
	}
}

func TestFakeExit_UnknownUIDIsAUsageError(t *testing.T) {
	e := newTestEnv(t, "")
	_, stderr, code := e.run("", "fake", "exit", "nosuch")
	if code != ExitUsage || !strings.Contains(stderr, `"nosuch"`) {
		t.Fatalf("fake exit nosuch: exit %d, %q; want %d naming the uid", code, stderr, ExitUsage)
	}
}

// TestTOML_TypeErrorsInTheFilesTerms: a value of the wrong type is named by
// its key and line, in TOML's words, not Go's ("destination has type slice").
func TestTOML_TypeErrorsInTheFilesTerms(t *testing.T) {
	e := newTestEnv(t, "")
	_, stderr, code := e.run("[[spec]]\nuid = \"a\"\nimage = \"x\"\ncommand = \"sleep 1\"\n", "apply", "-f", "-")
	if want := "line 4: spec.command: must be an array, got a string"; code != ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("apply: exit %d, %q; want %q", code, stderr, want)
	}
	bad := newTestEnv(t, "schedule = 5\n")
	_, stderr, code = bad.run("", "status")
	if want := "reconcile.schedule: must be a string, got an integer"; code != ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("config: exit %d, %q; want %q", code, stderr, want)
	}
}
