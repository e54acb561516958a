// Package faketest builds the runtimetest harness for the in-memory fake,
// so the fake's own contract test and the supervisor's crash-recovery test
// drive the same host the same way. Test helpers only: nothing in
// production imports it.
package faketest

import (
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/runtime/runtimetest"
)

// Harness returns the contract harness for rt: exits set by hand, a daemon
// restarted by reopening the same host, containers renamed by id.
func Harness(rt *fake.Runtime) *runtimetest.Harness {
	return &runtimetest.Harness{
		Runtime: rt, ReportsExitCodes: true, Image: "busybox", Command: []string{"sleep", "infinity"},
		Exit: func(tb testing.TB, uid string, code int) {
			if err := rt.SetExited(uid, code); err != nil {
				tb.Fatal(err)
			}
		},
		Reopen: func(_ testing.TB, storeID string, newPrefix bool) runtime.Runtime {
			return Reopened(rt, storeID, newPrefix)
		},
		Rename: func(tb testing.TB, id runtime.InstanceID, name string) { RenameID(tb, rt, id, name) },
	}
}

// Reopened returns a view of rt's host that lists storeID's containers by
// label too, under rt's prefix or, with newPrefix, "moved-": a daemon
// restarted with another prefix.
func Reopened(rt *fake.Runtime, storeID string, newPrefix bool) *fake.Runtime {
	v := rt.Real()
	v.StoreID = storeID
	if newPrefix {
		v.Prefix = "moved-"
	}
	return v
}

// RenameID renames the container with id to name, failing tb if it cannot.
func RenameID(tb testing.TB, rt *fake.Runtime, id runtime.InstanceID, name string) {
	tb.Helper()
	list, err := rt.Containers()
	if err != nil {
		tb.Fatalf("rename: %v", err)
	}
	for _, c := range list {
		if c.ID == string(id) {
			if err := rt.Rename(c.Name, name); err != nil {
				tb.Fatalf("rename: %v", err)
			}
			return
		}
	}
	tb.Fatalf("rename: no container %s", id)
}
