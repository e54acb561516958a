package apple_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/apple"
)

func parseFixture(t *testing.T, name string) ([]runtime.Instance, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return apple.ParseList(data, "velos-")
}

func byUID(list []runtime.Instance) map[string]runtime.Instance {
	m := map[string]runtime.Instance{}
	for _, in := range list {
		m[in.UID] = in
	}
	return m
}

func TestParseList_Shapes(t *testing.T) {
	for _, tc := range []struct {
		file        string
		wantStarted bool
	}{
		{"list-1.2.json", true},
		{"list-0.12.json", true},
		{"list-0.6.json", false}, // 0.1–0.7 print no startedDate
	} {
		t.Run(tc.file, func(t *testing.T) {
			list, err := parseFixture(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got := byUID(list)
			if len(list) != 2 {
				t.Fatalf("uids=%v, want web and done (the builder and other-app are not ours)", got)
			}
			web, done := got["web"], got["done"]
			if web.State != runtime.StateRunning || web.ID != "velos-web" || web.Name != "velos-web" {
				t.Errorf("web=%+v", web)
			}
			if web.Generation() != 2 || web.SpecHash() != "abc" || web.StoreID() != "s1" {
				t.Errorf("web labels=%v", web.Labels)
			}
			if done.State != runtime.StateExited || done.ExitCode != nil {
				t.Errorf("done=%+v, want exited with an unknown code", done)
			}
			if started := !web.StartedAt.IsZero(); started != tc.wantStarted {
				t.Errorf("StartedAt=%v, want set=%v", web.StartedAt, tc.wantStarted)
			}
			if tc.wantStarted && (web.StartedAt.Year() < 2026 || web.StartedAt.After(time.Now().Add(time.Hour))) {
				t.Errorf("StartedAt=%v: the 2001 epoch was not applied", web.StartedAt)
			}
		})
	}
}

func TestParseList_States(t *testing.T) {
	list, err := parseFixture(t, "list-1.2-states.json")
	if err != nil {
		t.Fatal(err)
	}
	got := byUID(list)
	if in := got["new"]; in.State != runtime.StateExited || !in.StartedAt.IsZero() {
		t.Errorf("never-started container=%+v, want exited with no start time", in)
	}
	if in := got["halting"]; in.State != runtime.StateUnknown || in.StartedAt.IsZero() {
		t.Errorf("stopping container=%+v, want unknown (left alone until it stopped)", in)
	}
	if in := got["odd"]; in.State != runtime.StateUnknown {
		t.Errorf("unknown-state container=%+v", in)
	}
}

func TestParseList_Empty(t *testing.T) {
	for _, f := range []string{"list-empty.json", "list-blank.json"} {
		list, err := parseFixture(t, f)
		if err != nil || len(list) != 0 {
			t.Errorf("%s: list=%v err=%v, want empty", f, list, err)
		}
	}
}

func TestParseList_Garbage(t *testing.T) {
	for _, f := range []string{"list-garbage.json", "list-truncated.json", "list-bad-status.json",
		"list-bad-date.json", "list-object.json"} {
		_, err := parseFixture(t, f)
		if err == nil || !strings.Contains(err.Error(), "parse container list") {
			t.Errorf("%s: err=%v, want a parse error", f, err)
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, name := range []string{"list-1.2.json", "list-0.12.json", "list-0.6.json", "list-1.2-states.json", "list-garbage.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := apple.ParseList(data, "velos-")
		if err != nil {
			return
		}
		for _, in := range list {
			if !strings.HasPrefix(string(in.ID), "velos-") || in.UID == "" || in.ExitCode != nil {
				t.Fatalf("bad instance %+v", in)
			}
		}
	})
}
