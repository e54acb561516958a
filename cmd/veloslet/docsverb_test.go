package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestDocs_ManPages: one page per verb, and each verb's page lists every
// one of its flags (the pages come from the same definitions as --help).
func TestDocs_ManPages(t *testing.T) {
	e := newTestEnv(t, "")
	dir := t.TempDir()
	e.mustRun("", "docs", "man", dir)
	root := NewMain().rootCommand()
	for _, verb := range root.Commands() {
		if verb.Hidden || verb.Name() == "help" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "veloslet-"+verb.Name()+".1"))
		if err != nil {
			t.Errorf("no page for %s: %v", verb.Name(), err)
			continue
		}
		page := strings.ReplaceAll(string(b), `\-`, "-")
		verb.Flags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(page, "--"+f.Name) {
				t.Errorf("veloslet-%s.1 lacks --%s", verb.Name(), f.Name)
			}
		})
	}
}
