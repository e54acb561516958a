package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/store"
)

// eventBatch bounds the events published before waiting for their acknowledgements.
const eventBatch = 256

// reporter writes the node's status and events to the fleet. It keeps what
// the status bucket holds for the node, so that only a change is written.
type reporter struct {
	n    *Node
	b    *buckets
	last map[string][]byte // status key -> value the bucket holds
	beat time.Time
	sent int64 // the last event id the stream acknowledged
	hold *Hold // the hold the node's report carries
	// brake is the supervisor's brake holding fleet removals, as the
	// report carries it (BrakeLine).
	brake string
	// epoch is the connection's when the session began: writes stop once
	// it moved, instead of each waiting out its timeout on a dead link.
	epoch int
}

// errConnChanged stops a report whose connection went down or changed.
var errConnChanged = errors.New("the connection changed; the next session reports")

func (r *reporter) start(ctx context.Context) error {
	if err := r.reload(ctx); err != nil {
		return err
	}
	v, err := r.n.DB.Meta(ctx, store.MetaFleetEventsSent)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		r.sent, _ = strconv.ParseInt(v, 10, 64)
	}
	return r.report(ctx, true)
}

// reload reads what the status bucket holds under the node's keys: the
// reports compare with it and write only what differs.
func (r *reporter) reload(ctx context.Context) error {
	last := map[string][]byte{}
	wctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	w, err := r.b.status.Watch(wctx, r.n.Config.Node+".>", jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer func() { _ = w.Stop() }()
	for e := range w.Updates() {
		if e == nil {
			break
		}
		last[e.Key()] = e.Value()
	}
	if wctx.Err() != nil {
		return wctx.Err()
	}
	r.last = last
	return nil
}

// report writes what changed since the last report. A failure is logged
// and left for the next report: it retries what was not acknowledged. At
// each heartbeat it first reads the bucket again, so that a status key
// changed, added or deleted by hand (`nats kv put`) is put right within a
// heartbeat rather than never.
func (r *reporter) report(ctx context.Context, beat bool) error {
	warn := func(what string, err error) {
		if err != nil && ctx.Err() == nil && r.n.currentEpoch() == r.epoch { // a stopping or cut node's calls are no news
			r.n.log().Warn(what, "error", err)
		}
	}
	if !beat && time.Since(r.beat) >= r.n.Heartbeat {
		warn("fleet: read the status bucket", r.reload(ctx))
	}
	warn("fleet: write status", r.statuses(ctx))
	warn("fleet: publish events", r.events(ctx))
	if beat || time.Since(r.beat) >= r.n.Heartbeat || r.n.Held() != r.hold || r.brakeLine(ctx) != r.brake {
		warn("fleet: write node report", r.heartbeat(ctx))
	}
	return ctx.Err()
}

func (r *reporter) statuses(ctx context.Context) error {
	rows, err := r.n.DB.FindStatus(ctx)
	if err != nil {
		return err
	}
	owned, err := r.n.DB.FindFleetSpecs(ctx)
	if err != nil {
		return err
	}
	want := make(map[string][]byte, len(rows))
	refused := map[string]string{}
	for _, f := range owned {
		if f.Refused != "" {
			refused[f.UID] = f.Refused
		}
	}
	for _, row := range rows {
		st := statusOf(row)
		st.Refused = refused[row.UID]
		delete(refused, row.UID)
		want[Key(r.n.Config.Node, row.UID)], _ = json.Marshal(st)
	}
	for uid, why := range refused { // a first value refused: no spec, no record
		want[Key(r.n.Config.Node, uid)], _ = json.Marshal(Status{UID: uid, State: "refused", Refused: why})
	}
	// One key's failure must not stop the others: a key that cannot be
	// written would otherwise keep every later change (and every removal
	// of a deleted uid's key) from the bucket for good.
	var errs []error
	for k, v := range want {
		if !ValidKey(k) {
			continue // a uid that makes no key (such as "a..b"): its row stays local
		}
		if bytes.Equal(r.last[k], v) {
			continue
		}
		if r.n.currentEpoch() != r.epoch {
			return errConnChanged
		}
		if err := r.put(ctx, k, v); err != nil {
			errs = append(errs, fmt.Errorf("put %s: %w", k, err))
			continue
		}
		r.last[k] = v
	}
	for k := range r.last {
		if _, ok := want[k]; ok && ValidKey(k) {
			continue
		}
		if r.n.currentEpoch() != r.epoch {
			return errConnChanged
		}
		dctx, cancel := context.WithTimeout(ctx, opTimeout)
		err := r.b.status.Delete(dctx, k)
		cancel()
		if err != nil && !errors.Is(err, jetstream.ErrInvalidKey) {
			errs = append(errs, fmt.Errorf("delete %s: %w", k, err))
			continue
		}
		delete(r.last, k)
	}
	return errors.Join(errs...)
}

func (r *reporter) put(ctx context.Context, k string, v []byte) error {
	pctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := r.b.status.Put(pctx, k, v)
	return err
}

func statusOf(row *store.StatusRow) Status {
	st := Status{UID: row.UID, State: row.State, Desired: row.DesiredState, Restarts: row.RestartCount,
		ExitCode: row.ExitCode, CrashLoop: row.CrashLoop, Error: row.LastError}
	if row.Generation != nil {
		st.Generation = *row.Generation
	}
	if row.RunningGeneration != nil {
		st.RunningGeneration = *row.RunningGeneration
	}
	if row.LastEvent != nil {
		st.LastEvent = *row.LastEvent
		st.LastEventAt = formatTime(row.LastEventAt.Time())
	}
	if row.InvalidReason != nil {
		st.Error = *row.InvalidReason
	}
	return st
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// events publishes the store's events after the last acknowledged one,
// each with its id as Nats-Msg-Id: at least once, duplicates dropped by the
// stream within its duplicate window.
func (r *reporter) events(ctx context.Context) error {
	for {
		evs, err := r.n.DB.FindEventsAfter(ctx, r.sent, eventBatch)
		if err != nil || len(evs) == 0 {
			return err
		}
		futures := make([]jetstream.PubAckFuture, 0, len(evs))
		for _, ev := range evs {
			e := Event{Node: r.n.Config.Node, StoreID: r.n.DB.StoreID(), ID: ev.ID, At: formatTime(ev.At.Time()),
				UID: ev.UID, Kind: string(ev.Kind), Generation: ev.Generation, ExitCode: ev.ExitCode,
				Reason: ev.Reason, PassID: ev.PassID}
			m := nats.NewMsg(EventSubject(r.n.Config.Node, subjectToken(ev.UID)))
			m.Data, _ = json.Marshal(e)
			f, err := r.b.js.PublishMsgAsync(m, jetstream.WithMsgID(e.MsgID()))
			if err != nil {
				break
			}
			futures = append(futures, f)
		}
		select {
		case <-r.b.js.PublishAsyncComplete():
		case <-time.After(opTimeout):
		case <-ctx.Done():
			return ctx.Err()
		}
		acked := r.sent
	ack:
		for i, f := range futures {
			select {
			case <-f.Ok():
				acked = evs[i].ID
			default:
				break ack // a later one may be in, but the mark only moves past a gapless run
			}
		}
		if acked > r.sent {
			if err := r.n.DB.SetMeta(ctx, store.MetaFleetEventsSent, strconv.FormatInt(acked, 10)); err != nil {
				return err
			}
			r.sent = acked
		}
		if acked < evs[len(evs)-1].ID {
			return errors.New("events not acknowledged; publishing them again at the next report")
		}
	}
}

// nodeReport is the node's own key: its Report and, while the mirror is
// held, the hold, so that `fleet status` says why from anywhere.
type nodeReport struct {
	Report
	Hold *Hold `json:"hold,omitempty"`
	// Brake is the supervisor's brake holding fleet-caused removals.
	Brake string `json:"brake,omitempty"`
}

// brakeLine is BrakeLine with the node's name in the verbs it names.
func (r *reporter) brakeLine(ctx context.Context) string {
	return strings.ReplaceAll(BrakeLine(ctx, r.n.DB), "NODE", r.n.Config.Node)
}

func (r *reporter) heartbeat(ctx context.Context) error {
	_, rev, err := r.n.DB.FleetPosition(ctx)
	if err != nil {
		return err
	}
	_, since := r.n.State()
	hold, brake := r.n.Held(), r.brakeLine(ctx)
	v, _ := json.Marshal(nodeReport{Report: Report{Node: r.n.Config.Node, At: formatTime(time.Now()), Specs: len(r.last),
		Revision: rev, StoreID: r.n.DB.StoreID(), Connected: formatTime(since)}, Hold: hold, Brake: brake})
	if err := r.put(ctx, r.n.Config.Node, v); err != nil {
		return err
	}
	r.beat, r.hold, r.brake = time.Now(), hold, brake
	return nil
}
