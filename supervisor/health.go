package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// An unhealthy instance is a failure exactly as an exit is: the planner
// plans ActUnhealthy for a running instance the prober found unhealthy
// (unhealthy below), its call stops it (and removes it, for recreate), and
// settleUnhealthy counts the failure, sets the back-off and gives up as
// settleExit does for an exit. The next pass then sees an exited instance
// whose exit is known and relaunches it (in place where the runtime can,
// keeping its crash log) at once or after the back-off; a removed one is
// launched afresh.

// unhealthy plans what on_failure says for a running instance the prober
// found unhealthy, and reports whether it planned anything.
func (p *planner) unhealthy(sp *store.Spec, rec *store.Instance, obs *runtime.Instance) bool {
	h, ok := p.in.Unhealthy[sp.UID]
	if !ok || h.State != HealthUnhealthy || h.InstanceID != obs.ID || h.OnFailure == spec.HealthNone {
		return false
	}
	reason := fmt.Sprintf("unhealthy (%d/%d): %s", h.Failures, h.Retries, h.Last.Output)
	p.add(Action{Kind: ActUnhealthy, UID: sp.UID, Spec: sp, Observed: obs, Next: carry(rec, sp),
		Reason: reason, Recreate: h.OnFailure == spec.HealthRecreate})
	return true
}

// callUnhealthy stops the unhealthy instance, and removes it for recreate.
func (s *Supervisor) callUnhealthy(ctx context.Context, a *Action, _ func(bool)) Result {
	s.at(CrashBeforeStop, a)
	if err := s.stop(ctx, a); err != nil {
		return s.failed(ctx, StepStop, err, "")
	}
	s.at(CrashAfterStop, a)
	if a.Recreate {
		if err := s.remove(ctx, a); err != nil {
			return s.failed(ctx, StepRemove, err, "")
		}
	}
	return Result{At: s.now()}
}

// settleUnhealthy: the unhealthy instance is stopped (or removed). Its
// record is an exit that failed: one more failure in a row (after a fresh
// count if it ran for BackoffReset), the back-off of that count, or a
// give-up under on-failure, as settleExit decides for an exit.
func settleUnhealthy(a *Action, r Result, next *store.Instance, pol Policy) store.Outcome {
	next.State, next.ExitCode, next.ExitedAt = store.InstanceExited, nil, store.Millis(r.At)
	if a.Recreate {
		next.RuntimeID = ""
	}
	if started := next.StartedAt.Time(); !started.IsZero() && r.At.Sub(started) >= pol.BackoffReset {
		next.ConsecutiveFailures = 0
	}
	next.ConsecutiveFailures++
	events := []store.Event{{UID: a.UID, Kind: store.EventUnhealthy, Generation: a.Spec.Generation, Reason: a.Reason}}
	if givesUp(a.Spec.Restart, next.ConsecutiveFailures, pol) {
		next.State, next.NextAttemptAt = store.InstanceGaveUp, store.Millis{}
		events = append(events, store.Event{UID: a.UID, Kind: store.EventGaveUp, Generation: a.Spec.Generation,
			Reason: giveUpReason(next.ConsecutiveFailures, pol)})
		return store.Outcome{Instance: next, Events: events}
	}
	next.NextAttemptAt = pol.retryAt(a.UID, next.ConsecutiveFailures, r.At)
	return store.Outcome{Instance: next, Events: events}
}

// unhealthyNow returns the prober's unhealthy uids, for a plan.
func (s *Supervisor) unhealthyNow() map[string]HealthStatus {
	if s.Prober == nil {
		return nil
	}
	var out map[string]HealthStatus
	for uid, h := range s.Prober.Snapshot() {
		if h.State == HealthUnhealthy {
			if out == nil {
				out = map[string]HealthStatus{}
			}
			out[uid] = h
		}
	}
	return out
}

// unhealthyWritten returns, on this process's first pass, the uids whose
// health row says unhealthy: what an earlier process found, written when
// its pass planned the stop. A process killed between that stop and its
// record leaves an exited instance the records do not know; the row tells
// why it exited (stoppedUnhealthy). Later passes know their own stops.
func (s *Supervisor) unhealthyWritten(ctx context.Context) map[string]HealthStatus {
	if s.observedOK {
		return nil
	}
	rows, err := s.DB.FindHealth(ctx)
	if err != nil {
		return nil
	}
	var out map[string]HealthStatus
	for _, r := range rows {
		if r.State != string(HealthUnhealthy) {
			continue
		}
		if out == nil {
			out = map[string]HealthStatus{}
		}
		out[r.UID] = HealthStatus{UID: r.UID, InstanceID: runtime.InstanceID(r.RuntimeID), State: HealthUnhealthy,
			Probe: r.Probe, Failures: r.Failures, Retries: r.Retries, Last: ProbeResult{At: r.LastAt.Time(), OK: r.LastOK, Output: r.LastOutput}}
	}
	return out
}

// stoppedUnhealthy returns the unhealthy event an earlier process did not
// live to write, for an exit the records do not know of an instance that
// process last found unhealthy during its current run; none otherwise. The exit itself is counted
// as the exit it is, one failure, as the stop would have been.
func (p *planner) stoppedUnhealthy(sp *store.Spec, rec *store.Instance, obs *runtime.Instance) []store.Event {
	h, ok := p.in.WasUnhealthy[sp.UID]
	// A verdict from before the run the record knows (started again in
	// place, same id, its row not yet rewritten) is not about this exit.
	if !ok || h.InstanceID != obs.ID || (rec != nil && h.Last.At.Before(rec.StartedAt.Time())) {
		return nil
	}
	return []store.Event{{UID: sp.UID, Kind: store.EventUnhealthy, Generation: sp.Generation,
		Reason: fmt.Sprintf("unhealthy (%d/%d): %s (found by the previous veloslet process, which died stopping it)", h.Failures, h.Retries, h.Last.Output)}}
}

// syncProbes tells the prober what to probe: the running instance of ours
// of each spec wanted running that has a health check, with its start (for
// start_period; see runStart). It then writes the probe states to the
// store's health table, where status, describe and an operator's query
// read them; a failure to write is logged, not the pass's.
func (s *Supervisor) syncProbes(ctx context.Context, specs []*store.Spec, records []*store.Instance, observed []runtime.Instance) {
	if s.Prober == nil {
		return
	}
	recs := make(map[string]*store.Instance, len(records))
	for _, r := range records {
		recs[r.UID] = r
	}
	running := make(map[string]*runtime.Instance, len(observed))
	for i := range observed {
		if o := &observed[i]; o.State == runtime.StateRunning && !o.Renamed {
			running[o.UID] = o
		}
	}
	want := map[string]bool{}
	for _, sp := range specs {
		o := running[sp.UID]
		if sp.Health == nil || sp.DesiredState != store.DesiredRunning || o == nil || o.SpecHash() != sp.SpecHash {
			continue
		}
		want[sp.UID] = true
		s.Prober.Set(sp.UID, o.ID, runStart(o, recs[sp.UID]), *sp.Health, sp.Env)
	}
	var drop []string
	for _, uid := range s.Prober.UIDs() {
		if !want[uid] {
			s.Prober.Remove(uid)
			drop = append(drop, uid)
		}
	}
	snap := s.Prober.Snapshot()
	rows := make([]store.Health, 0, len(snap))
	for _, h := range snap {
		rows = append(rows, healthRow(h))
	}
	if err := s.DB.PutHealth(ctx, rows, s.healthGone(ctx, want, drop)); err != nil {
		s.logger().Warn("write health", LogKeyError, err)
	}
}

// runStart is when a running instance started: as listed, else (the Docker
// API lists no start time for a running container) as its record says when
// the record is about this very instance; zero when unknown, as while its
// launch is still in flight (Prober.Set then counts from when it is first
// probed).
func runStart(obs *runtime.Instance, rec *store.Instance) time.Time {
	if !obs.StartedAt.IsZero() {
		return obs.StartedAt
	}
	if rec != nil && rec.RuntimeID == string(obs.ID) {
		return rec.StartedAt.Time()
	}
	return time.Time{}
}

// healthGone is the uids whose health rows go: those dropped now, and any
// row left of a uid no longer probed (a restart of the daemon forgets).
func (s *Supervisor) healthGone(ctx context.Context, want map[string]bool, drop []string) []string {
	rows, err := s.DB.FindHealth(ctx)
	if err != nil {
		return drop
	}
	for _, r := range rows {
		if !want[r.UID] {
			drop = append(drop, r.UID)
		}
	}
	return drop
}

func healthRow(h HealthStatus) store.Health {
	return store.Health{UID: h.UID, RuntimeID: string(h.InstanceID), State: string(h.State), Failures: h.Failures,
		Retries: h.Retries, Probe: h.Probe, LastAt: store.Millis(h.Last.At), LastOK: h.Last.OK,
		LastMillis: h.Last.Duration.Milliseconds(), LastOutput: h.Last.Output}
}

// writeHealth writes one uid's changed probe state at once, so status shows
// a change without waiting for the next pass.
func (s *Supervisor) writeHealth(ctx context.Context, h HealthStatus) {
	if err := s.DB.PutHealth(ctx, []store.Health{healthRow(h)}, nil); err != nil && ctx.Err() == nil {
		s.logger().Warn("write health", LogKeyUID, h.UID, LogKeyError, err)
	}
}

// healthyNow returns, by uid, the instance whose probe last passed: from
// the prober when this process runs one, else as the daemon last wrote it
// (a plan from the command line).
func (s *Supervisor) healthyNow(ctx context.Context) map[string]runtime.InstanceID {
	out := map[string]runtime.InstanceID{}
	if s.Prober != nil {
		for uid, h := range s.Prober.Snapshot() {
			if h.State == HealthHealthy {
				out[uid] = h.InstanceID
			}
		}
		return out
	}
	rows, err := s.DB.FindHealth(ctx)
	if err != nil {
		return out
	}
	for _, r := range rows {
		if r.State == string(HealthHealthy) {
			out[r.UID] = runtime.InstanceID(r.RuntimeID)
		}
	}
	return out
}

// followLaunches asks for a pass at once when the plan launches a uid that
// has a probe: the pass after the launch hands its new instance to the
// prober (a pass that finds the uid's action still in flight is followed
// by another once it is done), so probing, and any dependant waiting for
// it, does not wait for the next scheduled pass.
func (s *Supervisor) followLaunches(plan Plan, specs []*store.Spec) {
	if s.Prober == nil {
		return
	}
	probed := map[string]bool{}
	for _, sp := range specs {
		if sp.Health != nil {
			probed[sp.UID] = true
		}
	}
	for _, a := range plan.Actions {
		if a.callsRuntime() && a.Spec != nil && probed[a.UID] {
			s.wake(s.now())
			return
		}
	}
}
