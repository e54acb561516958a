package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// TestDisplayState_Replacing: a row whose last event says a replacement
// began shows replacing while the daemon's records are shown, and its
// state as listed once status lays the runtime's list over it (no daemon).
func TestDisplayState_Replacing(t *testing.T) {
	ev := string(store.EventReplacing)
	for _, tc := range []struct {
		name string
		row  store.StatusRow
		want string
	}{
		{"Running", store.StatusRow{DesiredState: "running", State: "running", LastEvent: &ev}, "replacing"},
		{"Pending", store.StatusRow{DesiredState: "running", State: "pending", LastEvent: &ev}, "replacing"},
		{"NoDaemon", store.StatusRow{DesiredState: "running", State: "running", LastEvent: &ev, Live: true}, "running"},
		{"Stopped", store.StatusRow{DesiredState: "stopped", State: "stopped", LastEvent: &ev}, "stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := displayState(&tc.row, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); got != tc.want {
				t.Fatalf("displayState=%q, want %q", got, tc.want)
			}
		})
	}
}

// TestLogs_DuringReplacement: while a replacement is in flight, `logs UID`
// reads the old instance the records name; once it is gone and nothing
// runs under the name yet, it says the uid is being replaced; once the new
// instance runs under the name, it reads that one. With no daemon, status
// does not claim a replacement is under way.
func TestLogs_DuringReplacement(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "busybox", "command": ["echo", "old"]}`, "apply", "-f", "-")
	e.mustRun("", "reconcile")
	db := e.OpenDB()
	if err := db.RecordOutcome(ctx, store.Outcome{Events: []store.Event{{UID: "web", Kind: store.EventReplacing, Reason: "test"}}}); err != nil {
		t.Fatal(err)
	}
	if got := statusStates(t, func(args ...string) string { return e.mustRun("", args...) })["web"]; got != "running" {
		t.Fatalf("status with no daemon: web is %q, want running", got)
	}
	var desc struct {
		Status struct {
			Display string `json:"display_state"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "describe", "web", "--json")), &desc); err != nil || desc.Status.Display != "running" {
		t.Fatalf("describe with no daemon: web is %q (%v), want running", desc.Status.Display, err)
	}
	if out := e.mustRun("", "logs", "web"); out != "old\n" {
		t.Fatalf("logs web during the replacement = %q, want the old instance's output", out)
	}
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Remove(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := e.run("", "logs", "web")
	if code == 0 || !strings.Contains(errOut, "web is being replaced: the old instance is gone") {
		t.Fatalf("logs web between the two instances: exit %d, %q", code, errOut)
	}
	rs := runtime.RunSpec{UID: "web", Container: spec.Container{Image: "busybox", Command: []string{"echo", "new"}}, StoreID: db.StoreID()}
	if _, err := host.Run(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if out := e.mustRun("", "logs", "web"); out != "new\n" {
		t.Fatalf("logs web once the new instance runs = %q, want its output", out)
	}
}

// TestStatus_WarnsNestedPrefix: another store's instances listed under our
// prefix (its prefix "velos-a-" extends ours) make status print one warning
// naming that store and its prefix, besides their foreign rows.
func TestStatus_WarnsNestedPrefix(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, "")
	e.mustRun(`{"uid": "web", "image": "busybox", "command": ["sleep", "1d"]}`, "apply", "-f", "-")
	host, err := fake.Open(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	for _, uid := range []string{"a-web", "a-api"} {
		if _, err := host.Run(ctx, runtime.RunSpec{UID: uid, Container: spec.Container{Image: "busybox"}, StoreID: "0therst0re"}); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRun("", "reconcile")
	out := e.mustRun("", "status")
	if n := strings.Count(out, "warning: "); n != 1 || !strings.Contains(out, `store 0therst0re`) || !strings.Contains(out, `name prefix "velos-a-" extends ours ("velos-")`) {
		t.Fatalf("status printed %d warnings; want one naming store 0therst0re and prefix velos-a-:\n%s", n, out)
	}
}
