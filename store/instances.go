package store

import (
	"context"
)

// InstanceState is the supervisor's record of a uid's container.
type InstanceState string

// Instance states, as stored in instances.state.
const (
	InstancePending InstanceState = "pending" // launch attempted, outcome not yet seen
	InstanceRunning InstanceState = "running"
	InstanceExited  InstanceState = "exited"  // runtime_id empty: an accepted exit whose instance was removed (status: completed)
	InstanceStopped InstanceState = "stopped" // stopped on purpose (desired state stopped)
	InstanceGaveUp  InstanceState = "gave_up" // on-failure ran out of attempts
	InstanceForeign InstanceState = "foreign" // the runtime holds a container of another store under this uid
	InstanceUnknown InstanceState = "unknown"
)

// Instance is what the supervisor knows of one uid's container. It survives
// restarts of the daemon, so back-off does too.
type Instance struct {
	UID                 string        `db:"uid"`
	RuntimeID           string        `db:"runtime_id"`
	State               InstanceState `db:"state"`
	ExitCode            *int          `db:"exit_code"`
	Generation          int64         `db:"generation"`
	SpecHash            string        `db:"spec_hash"`
	Attempts            int           `db:"attempts"`
	RestartCount        int           `db:"restart_count"`
	ConsecutiveFailures int           `db:"consecutive_failures"`
	NextAttemptAt       Millis        `db:"next_attempt_at"`
	StartedAt           Millis        `db:"started_at"`
	ExitedAt            Millis        `db:"exited_at"`
	LastError           string        `db:"last_error"`
	UpdatedAt           Millis        `db:"updated_at"`
}

const instanceColumns = `uid, runtime_id, state, exit_code, generation, spec_hash, attempts,
	restart_count, consecutive_failures, next_attempt_at, started_at, exited_at, last_error, updated_at`

// Outcome is what one executed action changed: the uid's instance record
// (replaced whole, or deleted) and the events that describe it.
type Outcome struct {
	Instance *Instance // written when set
	Delete   string    // uid whose record is deleted (and its adoptions), when set
	Events   []Event
	// Adopt records containers taken over (see Adoption).
	Adopt []Adoption
}

// RecordOutcome writes an action's outcome in one short transaction.
func (db *DB) RecordOutcome(ctx context.Context, o Outcome) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if o.Instance != nil {
		if err := tx.putInstance(ctx, o.Instance); err != nil {
			return err
		}
	}
	if o.Delete != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM instances WHERE uid = ?`, o.Delete); err != nil {
			return translate(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM adoptions WHERE uid = ?`, o.Delete); err != nil {
			return translate(err)
		}
	}
	for _, a := range o.Adopt {
		if err := tx.putAdoption(ctx, a); err != nil {
			return err
		}
	}
	for i := range o.Events {
		if err := tx.createEvent(ctx, &o.Events[i]); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (tx *Tx) putInstance(ctx context.Context, in *Instance) error {
	in.UpdatedAt = Millis(tx.now)
	_, err := tx.NamedStmtContext(ctx, tx.db.stmts.putInstance).ExecContext(ctx, in)
	return translate(err)
}

func (tx *Tx) clearGaveUp(ctx context.Context, uid string) error {
	_, err := tx.ExecContext(ctx, `UPDATE instances SET state = 'exited', consecutive_failures = 0,
		next_attempt_at = NULL, updated_at = ? WHERE uid = ? AND state = 'gave_up'`, Millis(tx.now), uid)
	return translate(err)
}
