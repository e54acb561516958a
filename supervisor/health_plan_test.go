package supervisor_test

import (
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/supervisor"
)

// TestPlan_ExitAfterUnhealthyVerdict: on a process's first pass, an exit
// the records do not know of an instance an earlier process last wrote
// unhealthy, during the run the record knows, is told with an unhealthy
// event before the exited one; a verdict older than that run (the row not
// rewritten since a start in place), or about another container, adds
// nothing.
func TestPlan_ExitAfterUnhealthyVerdict(t *testing.T) {
	started := t0.Add(-time.Minute) // rec's and obs's start
	for _, tc := range []struct {
		name    string
		id      runtime.InstanceID
		verdict time.Time
		want    bool
	}{
		{"DuringThisRun", "id-db", started.Add(30 * time.Second), true},
		{"BeforeThisRun", "id-db", started.Add(-time.Second), false},
		{"OtherContainer", "id-other", started.Add(30 * time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := supervisor.PlanInput{Specs: []*store.Spec{spec("db")}, Records: []*store.Instance{rec("db", store.InstanceRunning)},
				Observed: []runtime.Instance{obs("db", runtime.StateExited, exit(intp(143)))}, StoreID: ours, Now: t0,
				Policy: supervisor.DefaultPolicy(), FirstPass: true,
				WasUnhealthy: map[string]supervisor.HealthStatus{"db": {UID: "db", InstanceID: tc.id, State: supervisor.HealthUnhealthy,
					Failures: 3, Retries: 3, Last: supervisor.ProbeResult{At: tc.verdict, Output: "exit 2: no response"}}}}
			p := supervisor.Compute(in)
			if len(p.Actions) != 1 || p.Actions[0].Kind != supervisor.ActRelaunch {
				t.Fatalf("plan %+v, want one relaunch", p.Actions)
			}
			var kinds []store.EventKind
			for _, ev := range p.Actions[0].Events {
				kinds = append(kinds, ev.Kind)
			}
			told := len(kinds) == 2 && kinds[0] == store.EventUnhealthy && kinds[1] == store.EventExited
			if told != tc.want || (!tc.want && (len(kinds) != 1 || kinds[0] != store.EventExited)) {
				t.Fatalf("events %v, unhealthy told: %v, want %v", kinds, told, tc.want)
			}
			if tc.want && p.Actions[0].Events[0].Reason != "unhealthy (3/3): exit 2: no response (found by the previous veloslet process, which died stopping it)" {
				t.Fatalf("reason %q", p.Actions[0].Events[0].Reason)
			}
		})
	}
}
