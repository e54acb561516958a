package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/veloslet/veloslet/spec"
)

// ApplyOutcome says what UpsertSpecs did with one spec.
type ApplyOutcome string

// Apply outcomes.
const (
	Created   ApplyOutcome = "created"
	Updated   ApplyOutcome = "updated"
	Unchanged ApplyOutcome = "unchanged"
)

// ApplyResult is the outcome of applying one spec.
type ApplyResult struct {
	UID        string
	Outcome    ApplyOutcome
	Generation int64
}

// UpsertSpecs creates or updates specs in one transaction: all or nothing.
// The generation is bumped only when the launch-defining fields change (the
// spec hash); an identical re-apply writes nothing and reports Unchanged.
// Returns a *ValidationError (wrapping ErrInvalid) for the first bad spec.
func (db *DB) UpsertSpecs(ctx context.Context, specs []Spec) ([]ApplyResult, error) {
	seen := make(map[string]bool, len(specs))
	for i := range specs {
		specs[i].Normalize()
		if err := specs[i].Validate(); err != nil {
			return nil, err
		}
		if seen[specs[i].UID] {
			return nil, &ValidationError{UID: specs[i].UID, Field: "uid", Value: quote(specs[i].UID), Reason: "appears twice"}
		}
		seen[specs[i].UID] = true
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for i := range specs {
		if err := tx.refuseFleetOwned(ctx, specs[i].UID); err != nil {
			return nil, err
		}
	}
	results := make([]ApplyResult, 0, len(specs))
	for i := range specs {
		r, err := tx.upsertSpec(ctx, &specs[i])
		if err != nil {
			return nil, err
		}
		results = append(results, r)
	}
	if err := tx.checkDependencies(ctx); err != nil {
		return nil, err
	}
	return results, tx.Commit()
}

func (tx *Tx) upsertSpec(ctx context.Context, s *Spec) (ApplyResult, error) {
	s.SpecHash = hashSpec(tx.db.hashKey, s)
	old, err := tx.findSpecByUID(ctx, s.UID)
	switch {
	case errors.Is(err, ErrNotFound):
		s.Generation = 1
		s.CreatedAt, s.UpdatedAt = tx.now, tx.now
		if err := tx.insertSpec(ctx, s); err != nil {
			return ApplyResult{}, err
		}
		// A valid spec replaces a row migration 00004 set aside.
		if _, err := tx.ExecContext(ctx, `DELETE FROM specs_rejected WHERE uid = ?`, s.UID); err != nil {
			return ApplyResult{}, translate(err)
		}
		return ApplyResult{s.UID, Created, 1}, tx.createEvent(ctx, &Event{UID: s.UID, Kind: EventSpecCreated, Generation: 1})
	case errors.Is(err, ErrInvalid):
		return tx.replaceInvalidSpec(ctx, s)
	case err != nil:
		return ApplyResult{}, err
	}
	s.Generation, s.CreatedAt, s.UpdatedAt = old.Generation, old.CreatedAt, tx.now
	// Not hashed: a new probe or order replaces nothing.
	sameHealth := reflect.DeepEqual(old.Health, s.Health) && maps.Equal(old.DependsOn, s.DependsOn)
	samePolicy := old.Restart == s.Restart && old.RestartMaxAttempts == s.RestartMaxAttempts
	if old.SpecHash == s.SpecHash && samePolicy && old.DesiredState == s.DesiredState && sameHealth {
		*s = *old
		return ApplyResult{s.UID, Unchanged, s.Generation}, nil
	}
	var changed []string
	if old.SpecHash != s.SpecHash {
		s.Generation++
		fields := spec.ChangedFields(&old.Container, &s.Container)
		if len(fields) == 0 {
			// The hash moved with no field changed: a hash-key or
			// encoding change, not the operator's edit.
			fields = []string{"container"}
		}
		changed = append(changed, fields...)
	}
	if old.Restart != s.Restart {
		changed = append(changed, "restart="+string(s.Restart))
	}
	if old.RestartMaxAttempts != s.RestartMaxAttempts {
		changed = append(changed, "restart_max_attempts="+strconv.Itoa(s.RestartMaxAttempts))
	}
	if old.DesiredState != s.DesiredState {
		changed = append(changed, "desired_state="+string(s.DesiredState))
	}
	if !sameHealth {
		changed = append(changed, "health or depends_on")
	}
	if err := tx.updateSpec(ctx, s); err != nil {
		return ApplyResult{}, err
	}
	ev := &Event{UID: s.UID, Kind: EventSpecUpdated, Generation: s.Generation, Reason: "changed: " + strings.Join(changed, ", ")}
	return ApplyResult{s.UID, Updated, s.Generation}, tx.createEvent(ctx, ev)
}

// replaceInvalidSpec overwrites a row that cannot be decoded (written by
// hand), so that apply is how an operator fixes it: a new generation.
func (tx *Tx) replaceInvalidSpec(ctx context.Context, s *Spec) (ApplyResult, error) {
	var old struct {
		Generation int64  `db:"generation"`
		CreatedAt  Millis `db:"created_at"`
	}
	if err := tx.GetContext(ctx, &old, `SELECT generation, created_at FROM specs WHERE uid = ?`, s.UID); err != nil {
		return ApplyResult{}, translate(err)
	}
	s.Generation, s.CreatedAt, s.UpdatedAt = old.Generation+1, old.CreatedAt.Time(), tx.now
	if err := tx.updateSpec(ctx, s); err != nil {
		return ApplyResult{}, err
	}
	ev := &Event{UID: s.UID, Kind: EventSpecUpdated, Generation: s.Generation, Reason: "changed: replaced an invalid row"}
	return ApplyResult{s.UID, Updated, s.Generation}, tx.createEvent(ctx, ev)
}

func (tx *Tx) insertSpec(ctx context.Context, s *Spec) error {
	st, err := tx.prepared(ctx, `INSERT INTO specs (`+specColumns+`) VALUES (`+placeholders+`)`)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, specArgs(s)...)
	return translate(err)
}

// updateSpec writes every column of s's row but uid and created_at.
func (tx *Tx) updateSpec(ctx context.Context, s *Spec) error {
	all := specArgs(s)
	args := make([]any, 0, len(all))
	for i, a := range all {
		if i != uidCol && i != createdAtCol {
			args = append(args, a)
		}
	}
	st, err := tx.prepared(ctx, `UPDATE specs SET `+updateColumns+` WHERE uid = ?`)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, append(args, s.UID)...)
	return translate(err)
}

// FindSpecByUID returns one spec. Returns ErrNotFound if no spec has the uid.
func (db *DB) FindSpecByUID(ctx context.Context, uid string) (*Spec, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.findSpecByUID(ctx, uid)
}

func (tx *Tx) findSpecByUID(ctx context.Context, uid string) (*Spec, error) {
	st, err := tx.prepared(ctx, `SELECT `+specColumns+` FROM specs WHERE uid = ?`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, uid)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, translate(err)
		}
		return nil, fmt.Errorf("spec %q: %w", uid, ErrNotFound)
	}
	return scanSpec(rows)
}

// scanSpec decodes the row rows is on, read with specColumns.
func scanSpec(rows *sql.Rows) (*Spec, error) {
	raw := make([]sql.RawBytes, len(specCols))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, translate(err)
	}
	b := make([][]byte, len(raw))
	for i := range raw {
		b[i] = raw[i]
	}
	return decodeSpec(b)
}

// FindSpecs returns every spec, ordered by uid.
func (db *DB) FindSpecs(ctx context.Context) ([]*Spec, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return tx.findSpecs(ctx)
}

func (tx *Tx) findSpecs(ctx context.Context) ([]*Spec, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+specColumns+` FROM specs ORDER BY uid`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	var out []*Spec
	for rows.Next() {
		s, err := scanSpec(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, translate(rows.Err())
}

// DeleteSpecs deletes specs by uid in one transaction, recording a
// spec_deleted event for each. Returns ErrNotFound (and deletes nothing) if
// any uid has no spec.
func (db *DB) DeleteSpecs(ctx context.Context, uids ...string) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.refuseFleetOwned(ctx, uids...); err != nil {
		return err
	}
	for _, uid := range slices.Compact(slices.Sorted(slices.Values(uids))) {
		res, err := tx.ExecContext(ctx, `DELETE FROM specs WHERE uid = ?`, uid)
		if err != nil {
			return translate(err)
		}
		n, _ := res.RowsAffected()
		// A row migration 00004 set aside is deleted the same way.
		if res, err = tx.ExecContext(ctx, `DELETE FROM specs_rejected WHERE uid = ?`, uid); err != nil {
			return translate(err)
		}
		m, _ := res.RowsAffected()
		if n+m == 0 {
			return fmt.Errorf("spec %q: %w", uid, ErrNotFound)
		}
		if err := tx.createEvent(ctx, &Event{UID: uid, Kind: EventSpecDeleted}); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SetDesiredState sets whether the uids' instances should run. Setting
// running also clears a gave_up record, so an operator's start gives an
// instance a fresh set of attempts. Returns ErrNotFound if any uid has no spec.
func (db *DB) SetDesiredState(ctx context.Context, state DesiredState, uids ...string) ([]ApplyResult, error) {
	if state != DesiredRunning && state != DesiredStopped {
		return nil, &ValidationError{Field: "desired_state", Value: quote(string(state)), Reason: "must be running or stopped"}
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.refuseFleetOwned(ctx, uids...); err != nil {
		return nil, err
	}
	var results []ApplyResult
	for _, uid := range uids {
		s, err := tx.findSpecByUID(ctx, uid)
		if err != nil {
			return nil, err
		}
		// A copy of the whole spec: only the desired state changes.
		next := *s
		next.DesiredState = state
		r, err := tx.upsertSpec(ctx, &next)
		if err != nil {
			return nil, err
		}
		if state == DesiredRunning {
			if err := tx.clearGaveUp(ctx, uid); err != nil {
				return nil, err
			}
		}
		results = append(results, r)
	}
	return results, tx.Commit()
}

// checkDependencies refuses the specs as written in tx when a depends_on
// names a uid no spec has or closes a cycle (spec.CheckDependencies).
func (tx *Tx) checkDependencies(ctx context.Context) error {
	rows, err := tx.QueryContext(ctx, `SELECT uid, depends_on FROM specs`)
	if err != nil {
		return translate(err)
	}
	defer func() { _ = rows.Close() }()
	deps := map[string]spec.DependsOn{}
	for rows.Next() {
		var uid, text string
		if err := rows.Scan(&uid, &text); err != nil {
			return translate(err)
		}
		var d spec.DependsOn
		if err := json.Unmarshal([]byte(text), &d); err != nil {
			d = nil // a row written by hand; the pass shows it invalid
		}
		deps[uid] = d
	}
	if err := rows.Err(); err != nil {
		return translate(err)
	}
	return spec.CheckDependencies(deps)
}
