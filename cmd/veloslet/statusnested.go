package main

import (
	"regexp"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// foreignLabel reads the store label out of a foreign event's reason (the
// planner's wording in supervisor/plan.go).
var foreignLabel = regexp.MustCompile(`carries store label (\S+), not ours`)

// nestedWarnings returns a warning per other store whose instances the
// records show as foreign under our name prefix (see supervisor.NestedStores):
// status reads the daemon's records, not the runtime, so the store labels
// come from the foreign events.
func nestedWarnings(prefix, storeID string, rows []*store.StatusRow) []string {
	var listed []runtime.Instance
	for _, r := range rows {
		if r.State != string(store.InstanceForeign) || deref(r.LastEvent, "") != string(store.EventForeign) {
			continue
		}
		m := foreignLabel.FindStringSubmatch(deref(r.LastEventReason, ""))
		if m == nil || m[1] == "none" {
			continue
		}
		listed = append(listed, runtime.Instance{UID: r.UID, Name: prefix + r.UID, Labels: map[string]string{runtime.LabelStore: m[1]}})
	}
	var out []string
	for _, n := range supervisor.NestedStores(storeID, listed) {
		out = append(out, "warning: "+n.Warning())
	}
	return out
}
