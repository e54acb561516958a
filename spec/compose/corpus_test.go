package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the corpus's expected files")

// corpusEnv is the shell environment every corpus file is loaded with.
var corpusEnv = map[string]string{"FROM_SHELL": "shell-value"}

// loadDir loads dir/compose.yaml, and dir/compose.override.yaml after it
// when present, as `docker compose` loads a folder.
func loadDir(t testing.TB, dir string, o Options) (*Project, error) {
	t.Helper()
	for _, name := range []string{"compose.yaml", "compose.override.yaml"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) && name != "compose.yaml" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		o.Files = append(o.Files, File{Path: p, Content: b})
	}
	if o.Env == nil {
		o.Env = corpusEnv
	}
	return Load(context.Background(), o)
}

// DryRunJSON is what `apply --dry-run --json` prints: the specs as a JSON
// array in the spec file format.
func dryRunJSON(t testing.TB, p *Project) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p.Specs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCorpus translates every project under testdata/corpus and compares
// the specs, field by field through their JSON, with expected.json, the
// notes with expected.notes, or the refusal with expected.err. The folder's
// absolute path reads @DIR@ in the expected files.
func TestCorpus(t *testing.T) {
	dirs, err := filepath.Glob("testdata/corpus/*")
	if err != nil || len(dirs) < 10 {
		t.Fatalf("corpus: %d folders, %v", len(dirs), err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, _ := filepath.Abs(dir)
			p, err := loadDir(t, dir, Options{})
			got := map[string][]byte{}
			if err != nil {
				got["expected.err"] = []byte(err.Error() + "\n")
			} else {
				got["expected.json"] = dryRunJSON(t, p)
				got["expected.notes"] = []byte(strings.Join(append(p.Notes, ""), "\n"))
				var nets []string
				for _, n := range p.Networks {
					nets = append(nets, n.Name)
				}
				got["expected.networks"] = []byte(strings.Join(append(nets, ""), "\n"))
			}
			for name, b := range got {
				b = bytes.ReplaceAll(b, []byte(abs), []byte("@DIR@"))
				path := filepath.Join(dir, name)
				if *update {
					if err := os.WriteFile(path, b, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to write it): got\n%s", err, b)
				}
				if !bytes.Equal(b, want) {
					t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", name, b, want)
				}
			}
		})
	}
}
