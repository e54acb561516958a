package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
)

// countingList counts the runtime's List calls.
type countingList struct {
	runtime.Runtime
	n atomic.Int32
}

func (c *countingList) List(ctx context.Context) ([]runtime.Instance, error) {
	c.n.Add(1)
	return c.Runtime.List(ctx)
}

// TestDescribe_SelectionListsOnce: with no daemon, describe --all lays the
// runtime's state over every uid from one listing, not one per uid.
func TestDescribe_SelectionListsOnce(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(clitest.SpecsJSON(3), "apply", "-f", "-")
	e.mustRun("", "reconcile")
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Remove(context.Background(), "s001"); err != nil {
		t.Fatal(err)
	}
	rt := &countingList{Runtime: host}
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Runtime = &out, io.Discard, rt
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.Config
		}
		return ""
	}
	if code := m.Execute(context.Background(), []string{"describe", "--all"}); code != ExitOK {
		t.Fatalf("describe --all: exit %d", code)
	}
	if n := rt.n.Load(); n != 1 {
		t.Errorf("the runtime was listed %d times for 3 uids", n)
	}
	if !strings.Contains(out.String(), "s001 — missing\n") || !strings.Contains(out.String(), "s002 — running\n") {
		t.Errorf("describe --all:\n%s", out.String())
	}
}
