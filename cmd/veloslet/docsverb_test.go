package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// manFlag is one flag name as a page's OPTIONS list prints it: \fB--name\fP
// or \fB-n\fP (cobra writes the dashes unescaped).
var manFlag = regexp.MustCompile(`\\fB(--?[A-Za-z0-9][a-z0-9-]*)\\fP`)

// TestDocs_ManPages: one page per verb and sub-verb (veloslet-fleet-apply.1),
// and on each page the OPTIONS and the inherited OPTIONS are exactly the
// command's flags: every flag with its shorthand, and nothing else.
func TestDocs_ManPages(t *testing.T) {
	e := newTestEnv(t, "")
	dir := t.TempDir()
	e.mustRun("", "docs", "man", dir)
	var check func(cmd *cobra.Command)
	check = func(cmd *cobra.Command) {
		for _, sub := range cmd.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				check(sub)
			}
		}
		cmd.InitDefaultHelpFlag() // as Execute does: the pages list --help
		name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no page for %q: %v", cmd.CommandPath(), err)
			return
		}
		page := string(b)
		own, inherited := section(page, ".SH OPTIONS\n"), section(page, ".SH OPTIONS INHERITED FROM PARENT COMMANDS\n")
		for _, c := range []struct {
			what  string
			text  string
			flags *pflag.FlagSet
		}{{"OPTIONS", own, cmd.NonInheritedFlags()}, {"OPTIONS INHERITED", inherited, cmd.InheritedFlags()}} {
			var want []string
			c.flags.VisitAll(func(f *pflag.Flag) {
				if f.Hidden {
					return
				}
				want = append(want, "--"+f.Name)
				if f.Shorthand != "" {
					want = append(want, "-"+f.Shorthand)
				}
			})
			var got []string
			for _, m := range manFlag.FindAllStringSubmatch(c.text, -1) {
				got = append(got, m[1])
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s lists %v, the command has %v", name, c.what, got, want)
			}
		}
	}
	root := NewMain().rootCommand()
	check(root)
	// apply's flags by name, so a page that lost its OPTIONS cannot pass as
	// one that agrees with an empty flag set.
	apply, err := os.ReadFile(filepath.Join(dir, "veloslet-apply.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--file", "-f", "--dry-run", "--prune", "--selector", "-l", "--wait", "--timeout", "--json", "--format", "--project", "--profile"} {
		if !slices.Contains(manFlag.FindAllString(section(string(apply), ".SH OPTIONS\n"), -1), `\fB`+f+`\fP`) {
			t.Errorf("veloslet-apply.1 OPTIONS lacks %s", f)
		}
	}
}

// section is the text of a man page's section from its heading to the next.
func section(page, heading string) string {
	_, rest, ok := strings.Cut(page, heading)
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n.SH "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
