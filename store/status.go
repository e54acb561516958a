package store

import (
	"context"
	"strings"
)

// StatusRow is one row of the status view: desired against observed, per uid.
type StatusRow struct {
	UID                 string  `db:"uid" json:"uid"`
	DesiredState        string  `db:"desired_state" json:"desired_state"`
	Image               *string `db:"image" json:"image"`
	Restart             *string `db:"restart" json:"restart"`
	Generation          *int64  `db:"generation" json:"generation"`
	State               string  `db:"state" json:"state"`
	ExitCode            *int    `db:"exit_code" json:"exit_code"`
	RunningGeneration   *int64  `db:"running_generation" json:"running_generation"`
	RuntimeID           *string `db:"runtime_id" json:"runtime_id"`
	RestartCount        int     `db:"restart_count" json:"restart_count"`
	ConsecutiveFailures int     `db:"consecutive_failures" json:"consecutive_failures"`
	CrashLoop           bool    `db:"crash_loop" json:"crash_loop"`
	NextAttemptAt       Millis  `db:"next_attempt_at" json:"-"`
	StartedAt           Millis  `db:"started_at" json:"-"`
	ExitedAt            Millis  `db:"exited_at" json:"-"`
	LastError           string  `db:"last_error" json:"last_error"`
	LastEvent           *string `db:"last_event" json:"last_event"`
	LastEventAt         Millis  `db:"last_event_at" json:"-"`
	LastEventReason     *string `db:"last_event_reason" json:"last_event_reason"`
	SpecCreatedAt       Millis  `db:"spec_created_at" json:"-"`
}

// FindStatus reads the status view, for the given uids or all.
func (db *DB) FindStatus(ctx context.Context, uids ...string) ([]*StatusRow, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q := `SELECT st.*, s.created_at AS spec_created_at FROM status st LEFT JOIN specs s ON s.uid = st.uid`
	var args []any
	if len(uids) > 0 {
		q += ` WHERE st.uid IN (?` + strings.Repeat(", ?", len(uids)-1) + `)`
		for _, u := range uids {
			args = append(args, u)
		}
	}
	var out []*StatusRow
	if err := tx.SelectContext(ctx, &out, q+` ORDER BY st.uid`, args...); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
