package store

import (
	"context"
	"strings"
	"time"
)

// EventKind names what an event records.
type EventKind string

// Event kinds, as stored in events.kind.
const (
	EventLaunched      EventKind = "launched"
	EventAdopted       EventKind = "adopted"   // a foreign instance taken over: `veloslet adopt`, runtime.adopt_unlabeled
	EventResumed       EventKind = "resumed"   // this store's own instance found already there (migration 00013)
	EventReplacing     EventKind = "replacing" // a replacement began: status shows the uid replacing until its outcome (migration 00013)
	EventExited        EventKind = "exited"
	EventRelaunched    EventKind = "relaunched"
	EventReplaced      EventKind = "replaced"
	EventStopped       EventKind = "stopped"
	EventRemovedOrphan EventKind = "removed_orphan"
	EventForeign       EventKind = "foreign"
	EventBackoff       EventKind = "backoff"
	EventGaveUp        EventKind = "gave_up"
	EventFailed        EventKind = "failed"
	EventSpecCreated   EventKind = "spec_created"
	EventSpecUpdated   EventKind = "spec_updated"
	EventSpecDeleted   EventKind = "spec_deleted"
	EventBrakeHeld     EventKind = "brake_held"
	EventInvalid       EventKind = "invalid"   // a spec row the code cannot use, once per row version
	EventUnhealthy     EventKind = "unhealthy" // a probe found the instance unhealthy; on_failure acted
)

// Event is one row of the append-only history.
type Event struct {
	ID         int64     `db:"id"`
	At         Millis    `db:"at"`
	PassID     *int64    `db:"pass_id"`
	UID        string    `db:"uid"`
	Kind       EventKind `db:"kind"`
	Generation int64     `db:"generation"`
	ExitCode   *int      `db:"exit_code"`
	Reason     string    `db:"reason"`
}

func (tx *Tx) createEvent(ctx context.Context, e *Event) error {
	e.At = Millis(tx.now)
	var gen any
	if e.Generation != 0 {
		gen = e.Generation
	}
	res, err := tx.StmtContext(ctx, tx.db.stmts.createEvent).ExecContext(ctx, e.At, e.PassID, e.UID, e.Kind, gen, e.ExitCode, e.Reason)
	if err != nil {
		return translate(err)
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

// EventFilter selects events. Zero fields do not filter.
type EventFilter struct {
	UID     string
	Kind    EventKind
	PassID  int64 // only events written by this pass
	AfterID int64 // only events with a larger id
	Since   time.Time
	Limit   int // the newest Limit events; 0 = all
}

// FindEvents returns events in id order.
func (db *DB) FindEvents(ctx context.Context, f EventFilter) ([]*Event, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	where, args := []string{"1 = 1"}, []any{}
	if f.UID != "" {
		where, args = append(where, "uid = ?"), append(args, f.UID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.PassID > 0 {
		where, args = append(where, "pass_id = ?"), append(args, f.PassID)
	}
	if f.AfterID > 0 {
		where, args = append(where, "id > ?"), append(args, f.AfterID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, Millis(f.Since))
	}
	q := `SELECT id, at, pass_id, uid, kind, coalesce(generation, 0) AS generation, exit_code, reason
		FROM events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []*Event
	if err := tx.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, translate(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
