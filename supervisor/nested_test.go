package supervisor_test

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

func listedAs(name, uid, storeID string) runtime.Instance {
	in := runtime.Instance{UID: uid, Name: name, Labels: map[string]string{}}
	if storeID != "" {
		in.Labels[runtime.LabelStore] = storeID
	}
	return in
}

func TestNestedStores(t *testing.T) {
	listed := []runtime.Instance{
		listedAs("velos-web", "web", "ours"),
		listedAs("velos-a-web", "a-web", "st0rea"),
		listedAs("velos-a-api", "a-api", "st0rea"),
		listedAs("velos-db", "db", "st0reb"), // same prefix, another store
		listedAs("velos-old", "old", ""),     // the earlier Velos worker's: no label
	}
	got := supervisor.NestedStores("ours", listed)
	want := []supervisor.NestedStore{
		{StoreID: "st0rea", Prefix: "velos-a-", OurPrefix: "velos-", UIDs: []string{"a-api", "a-web"}},
		{StoreID: "st0reb", Prefix: "velos-", OurPrefix: "velos-", UIDs: []string{"db"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("NestedStores=%+v, want %+v", got, want)
	}
	if w := got[0].Warning(); !strings.Contains(w, `name prefix "velos-a-" extends ours ("velos-")`) || !strings.Contains(w, "a-api, a-web") {
		t.Fatalf("warning %q", w)
	}
	if w := got[1].Warning(); !strings.Contains(w, `uses our name prefix "velos-"`) {
		t.Fatalf("warning %q", w)
	}
	if got := supervisor.NestedStores("ours", listed[:1]); len(got) != 0 {
		t.Fatalf("only our own instances: %+v", got)
	}
}

// TestSupervisor_WarnsNestedPrefixOnFirstPass: the first pass of a process
// (serve's start) logs a warning for another store's instances under our
// prefix; later passes do not repeat it.
func TestSupervisor_WarnsNestedPrefixOnFirstPass(t *testing.T) {
	ctx := context.Background()
	s, rt, _ := MustNewSupervisor(t)
	var logs bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	storetest.MustApply(t, s.DB, specs(1)...)
	if _, err := rt.Run(ctx, runtime.RunSpec{UID: "a-web", Container: vspec.Container{Image: "busybox"}, StoreID: "st0rea"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "another store's instances under our name prefix"); n != 1 {
		t.Fatalf("%d nested-prefix warnings in the log, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), `prefix=velos-a-`) {
		t.Fatalf("the warning does not name the other prefix:\n%s", logs.String())
	}
}
