package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime/fake"
)

// README's example blocks: ``` blocks whose lines start with "$ ". Each
// command runs in order against one simulated host (state carries from
// block to block, as the README tells it), and its output must be what the
// README shows after it, times, durations and instance ids aside.

var (
	readmeBlock = regexp.MustCompile("(?s)```\n(\\$ .*?)```")
	readmeTime  = regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?|\b\d\d:\d\d:\d\d\b`)
	readmeDur   = regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m|h|d)\b`)
	readmeID    = regexp.MustCompile(`fake-\d+`)
	readmeEcho  = regexp.MustCompile(`^echo '(.*)' \| (veloslet .*)$`)
)

// readmeNorm makes output comparable: times, durations and ids replaced,
// runs of spaces (table padding, which follows their widths) made one, and
// lines sorted, since actions of one pass finish in any order.
func readmeNorm(s, dir string) []string {
	s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
	s = readmeTime.ReplaceAllString(s, "TIME")
	s = readmeDur.ReplaceAllString(s, "DUR")
	s = readmeID.ReplaceAllString(s, "ID")
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func TestREADME_Examples(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, "")
	dir := t.TempDir()
	readmeConfig(t, e, doc)
	// The files the examples name: web.toml is the spec format's example,
	// bad.toml a config with the mistake the README shows.
	spec := regexp.MustCompile("(?s)```toml\n(\\[\\[spec\\]\\].*?)```").FindSubmatch(doc)
	if spec == nil {
		t.Fatal("README has no [[spec]] example")
	}
	files := map[string]string{"web.toml": string(spec[1]), "bad.toml": "[reconcile]\nschedule = \"every ten seconds\"\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	blocks := readmeBlock.FindAllSubmatch(doc, -1)
	if len(blocks) < 6 {
		t.Fatalf("README has %d example blocks, want at least 6", len(blocks))
	}
	ran := 0
	for _, b := range blocks {
		lines := strings.Split(strings.TrimSuffix(string(b[1]), "\n"), "\n")
		for i := 0; i < len(lines); {
			cmdLine := strings.TrimPrefix(lines[i], "$ ")
			i++
			var want []string
			for ; i < len(lines) && !strings.HasPrefix(lines[i], "$ "); i++ {
				want = append(want, lines[i])
			}
			var got strings.Builder
			for _, part := range strings.Split(cmdLine, " && ") {
				stdin := ""
				if m := readmeEcho.FindStringSubmatch(part); m != nil {
					stdin, part = m[1]+"\n", m[2]
				}
				args := strings.Fields(strings.TrimPrefix(part, "veloslet "))
				for j, a := range args {
					if _, ok := files[a]; ok {
						args[j] = filepath.Join(dir, a)
					}
				}
				out, errOut, _ := e.run(stdin, args...)
				got.WriteString(out + errOut)
			}
			ran++
			g, w := readmeNorm(got.String(), dir), readmeNorm(strings.Join(want, "\n"), dir)
			if !slices.Equal(g, w) {
				t.Errorf("$ %s\ngot:\n%s\nREADME shows:\n%s", cmdLine, got.String(), strings.Join(want, "\n"))
			}
		}
	}
	t.Logf("ran %d README commands", ran)
	// The walk-through leaves the simulated host as a reader would want it
	// for what comes next: no faults switched on.
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := host.List(context.Background()); err != nil {
			t.Fatalf("the README leaves faults on: %v", err)
		}
	}
}

// readmeConfig makes e use the config the README tells the reader to save
// and export, with its folder moved into the test's own.
func readmeConfig(t *testing.T, e *testEnv, doc []byte) {
	t.Helper()
	cfg := regexp.MustCompile("(?s)```toml\n(\\[store\\].*?)```").FindSubmatch(doc)
	export := regexp.MustCompile(`(?m)^export VELOSLET_CONFIG=(\S+)$`).FindSubmatch(doc)
	if cfg == nil || export == nil {
		t.Fatal("README lacks the example config or the export of its path")
	}
	folder := filepath.Dir(string(export[1]))
	if !strings.Contains(string(cfg[1]), folder+"/") {
		t.Fatalf("the exported config %s is not in the folder the config names:\n%s", export[1], cfg[1])
	}
	text := strings.ReplaceAll(string(cfg[1]), folder, e.Dir) + "[reconcile]\nwatch_interval = \"100ms\"\n"
	if err := os.WriteFile(e.Config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	e.DB = filepath.Join(e.Dir, filepath.Base(regexp.MustCompile(`path = "([^"]+)"`).FindStringSubmatch(text)[1]))
	e.Host = filepath.Join(e.Dir, filepath.Base(regexp.MustCompile(`state_file = "([^"]+)"`).FindStringSubmatch(text)[1]))
}
