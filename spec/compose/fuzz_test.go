package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
)

// FuzzLoad: any bytes as a compose file load to valid specs or to a spec
// file error, never a panic or a hang (the loader bounds alias expansion;
// a billion-laughs seed is among the seeds).
func FuzzLoad(f *testing.F) {
	paths, _ := filepath.Glob("testdata/corpus/*/compose.yaml")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: &d [*c, *c, *c, *c]\nservices: {s: {image: x, command: *d}}\n"))
	f.Add([]byte("services:\n  s:\n    image: x\n    extends: s\n"))
	f.Add([]byte("services: {s: {image: '${A:-${B:-${C}}}', ports: ['1-65535:1-65535']}}"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := Load(ctx, Options{Files: []File{{Path: "-", Content: data}}, WorkingDir: dir, Project: "fuzz", Env: map[string]string{}})
		if err != nil {
			if !errors.Is(err, spec.ErrFile) {
				t.Fatalf("error %v does not wrap spec.ErrFile", err)
			}
			return
		}
		for i := range p.Specs {
			if err := p.Specs[i].Validate(); err != nil {
				t.Fatalf("an invalid spec loaded: %v", err)
			}
		}
	})
}
