package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// TestStatusHeader_PassAgeFromItsEnd: a pass that ran five minutes and
// ended 20 s ago is "20s ago", not the 5m20s since it started: it saw the
// runtime until its end.
func TestStatusHeader_PassAgeFromItsEnd(t *testing.T) {
	e := newTestEnv(t, "schedule = \"@every 10s\"\n")
	ctx := context.Background()
	db, err := store.Open(ctx, e.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	clock := storetest.NewClock()
	db.Now = clock.Now
	id, err := db.CreatePass(ctx, store.TriggerSchedule, 0)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(5 * time.Minute)
	if err := db.FinishPass(ctx, &store.Pass{ID: id}); err != nil {
		t.Fatal(err)
	}
	clock.Add(20 * time.Second)
	var out bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.DB = &out, io.Discard, db
	m.Getenv = func(k string) string {
		if k == EnvConfig {
			return e.Config
		}
		return ""
	}
	if code := m.Execute(ctx, []string{"status"}); code != ExitOK {
		t.Fatalf("status: exit %d", code)
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "no daemon; last successful pass 20s ago (pass 1)" {
		t.Fatalf("header %q, want the age from the pass's end", first)
	}
}
