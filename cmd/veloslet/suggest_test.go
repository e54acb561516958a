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
