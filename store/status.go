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
	// InstanceState is the record's state, which State hides for an invalid spec.
	InstanceState string `db:"instance_state" json:"-"`
	// InvalidReason is why the spec cannot be used (State is "invalid"); nil otherwise.
	InvalidReason *string `db:"invalid_reason" json:"invalid_reason,omitempty"`
	// PullImage is the image the uid's launch in flight is pulling, since
	// PullingSince; nil when it is not pulling (see StartPull).
	PullImage    *string `db:"pull_image" json:"pull_image,omitempty"`
	PullingSince Millis  `db:"pulling_since" json:"-"`
	// Health is the probe state of the uid's current instance (starting,
	// healthy, unhealthy), HealthFailures of HealthRetries failures in a
	// row; nil when it has no probe or none ran for this instance.
	Health         *string `db:"health" json:"health"`
	HealthFailures *int    `db:"health_failures" json:"health_failures,omitempty"`
	HealthRetries  *int    `db:"health_retries" json:"health_retries,omitempty"`
	// Live is set by a reader that replaced State with what the runtime
	// lists now (status while no daemon runs); the store never sets it.
	Live bool `db:"-" json:"live,omitempty"`
}

// StateInvalid is the status state of a uid whose spec cannot be used.
const StateInvalid = "invalid"

// FindStatus reads the status view, for the given uids or all. A spec that
// cannot be used shows state "invalid" with the reason, whether or not a
// pass has noted it yet: the specs are decoded in the same read.
func (db *DB) FindStatus(ctx context.Context, uids ...string) ([]*StatusRow, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q := `SELECT st.*, s.created_at AS spec_created_at, coalesce(i.state, 'pending') AS instance_state,
		p.image AS pull_image, p.started_at AS pulling_since,
		h.state AS health, h.failures AS health_failures, h.retries AS health_retries
		FROM status st LEFT JOIN specs s ON s.uid = st.uid LEFT JOIN instances i ON i.uid = st.uid
		LEFT JOIN pulls p ON p.uid = st.uid
		LEFT JOIN health h ON h.uid = st.uid AND h.runtime_id = i.runtime_id AND i.state = 'running'`
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
	_, invalid, err := db.readSpecs(ctx, tx)
	if err != nil {
		return nil, err
	}
	reasons := make(map[string]string, len(invalid))
	for _, v := range invalid {
		reasons[v.UID] = v.Reason
	}
	for _, r := range out {
		if reason, ok := reasons[r.UID]; ok {
			r.State, r.InvalidReason = StateInvalid, &reason
		} else if r.State == StateInvalid {
			// Noted by an earlier pass, fixed or deleted since: the view
			// lags until the next pass notes it.
			r.State, r.InvalidReason = r.InstanceState, nil
		}
	}
	return out, nil
}
