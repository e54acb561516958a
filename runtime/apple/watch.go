package apple

import (
	"context"
	"maps"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

var _ runtime.Watcher = (*Runtime)(nil)

// Defaults for Watch's pace. While nothing changes the interval doubles from
// Poll up to PollMax, so an idle daemon lists 60s/PollMax times a minute
// (15 with these defaults; 30 while things change) and a death is seen
// within PollMax at most. An unset PollMax is twice Poll.
const (
	DefaultPoll    = 2 * time.Second
	DefaultPollMax = 2 * DefaultPoll
)

// watchFailures is how many lists in a row may fail before Watch gives up
// and returns the error (the scheduler logs it, runs a pass and restarts
// it): a single failed list is only a missed look.
const watchFailures = 5

// Watch stands in for an event stream, which Apple's CLI does not have: it
// lists at a short interval (`container list --all`, one call) and sends a
// died event for every instance of ours that was running at the previous
// look and is not now (stopped, unknown or gone), or is new since then and
// not running. The first look only sets the baseline: deaths while nobody
// watched are the pass's to find.
func (r *Runtime) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	poll, pollMax := r.pace()
	var last map[runtime.InstanceID]runtime.Instance
	wait, failures := poll, 0
	for {
		list, err := r.list(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if failures++; failures >= watchFailures {
				return err
			}
			wait = pollMax
		default:
			failures = 0
			now := byID(list)
			if last != nil {
				for _, uid := range deaths(last, now) {
					select {
					case ch <- runtime.Event{Kind: runtime.EventDied, UID: uid}:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			}
			wait = nextPoll(wait, poll, pollMax, last != nil && changed(last, now))
			last = now
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pace returns Poll and PollMax with their defaults: DefaultPoll, and twice
// the poll; PollMax is never below Poll.
func (r *Runtime) pace() (time.Duration, time.Duration) {
	poll, pollMax := r.Poll, r.PollMax
	if poll <= 0 {
		poll = DefaultPoll
	}
	if pollMax <= 0 {
		pollMax = 2 * poll
	}
	return poll, max(poll, pollMax)
}

// nextPoll is the wait before the next look: back to poll after a change,
// else double the last wait up to pollMax.
func nextPoll(last, poll, pollMax time.Duration, changed bool) time.Duration {
	if changed {
		return poll
	}
	return min(max(last*2, poll), pollMax)
}

func byID(list []runtime.Instance) map[runtime.InstanceID]runtime.Instance {
	m := make(map[runtime.InstanceID]runtime.Instance, len(list))
	for _, in := range list {
		m[in.ID] = in
	}
	return m
}

// deaths returns the uids running in last and not running (or gone) in
// now, and those not running now that last did not list or listed with
// another start time: an instance launched, or relaunched, and dead between
// two looks (a crash at start-up) died too. Start times are known from 0.8
// (to the second from 1.0); before, a relaunch that dies between two looks
// under the same name is left to the scheduled pass.
func deaths(last, now map[runtime.InstanceID]runtime.Instance) []string {
	var out []string
	for id, was := range last {
		if in, ok := now[id]; was.State == runtime.StateRunning && (!ok || in.State != runtime.StateRunning) {
			out = append(out, was.UID)
		}
	}
	for id, in := range now {
		was, seen := last[id]
		if in.State == runtime.StateRunning || (seen && was.State == runtime.StateRunning) {
			continue // running, or counted above
		}
		if !seen || !in.StartedAt.Equal(was.StartedAt) {
			out = append(out, in.UID) // new, or started again since, and down
		}
	}
	return out
}

// changed reports whether an instance appeared, went, changed state or started again.
func changed(last, now map[runtime.InstanceID]runtime.Instance) bool {
	return !maps.EqualFunc(last, now, func(a, b runtime.Instance) bool {
		return a.State == b.State && a.StartedAt.Equal(b.StartedAt)
	})
}
