package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
)

// specCache keeps decoded specs between passes, with the raw row they came
// from, in the order the last read met them. A pass re-reads every row (that
// is its snapshot) but decodes the JSON columns only of rows that changed, so
// a pass over unchanged specs costs little more than reading them. Rows come
// back in storage order, which a write seldom changes: the read compares row
// i with the last read's entry i and looks the uid up by key only when they
// differ. At 100,000 specs a hash lookup per row missed the CPU's caches and
// made the read cost more per row than at 10,000.
type specCache struct {
	mu    sync.Mutex
	order []*cachedSpec
}

// find returns the entry of uid, trying position i of the last read's order
// first; byUID indexes that order, built on the first row out of place.
func (c *specCache) find(i int, uid string, byUID *map[string]*cachedSpec) *cachedSpec {
	if i < len(c.order) && c.order[i].row.UID == uid {
		return c.order[i]
	}
	if *byUID == nil {
		*byUID = make(map[string]*cachedSpec, len(c.order))
		for _, e := range c.order {
			(*byUID)[e.row.UID] = e
		}
	}
	return (*byUID)[uid]
}

type cachedSpec struct {
	raw     [3][]byte // command, env, labels as stored
	row     specRow   // the other columns (JSON fields left empty)
	spec    *Spec
	invalid *InvalidSpec // set instead of spec for a row the code cannot use
}

// readSpecs reads every spec, in storage order (the planner sorts; an
// ORDER BY uid would walk the primary-key index and look up every row), through the cache. The specs it
// returns are shared with later reads: callers must not modify them.
//
// A row that cannot be decoded or fails Validate does not fail the read: it
// is returned among the invalid specs, with the reason, and cached like the
// rest so that it is not decoded again until it changes. So are the uids of
// specs_rejected (rows migration 00004 could not keep) that specs lacks.
// Only an error reading the table itself is returned.
func (db *DB) readSpecs(ctx context.Context, tx *Tx) ([]*Spec, []*InvalidSpec, error) {
	rejected, err := readRejected(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+specColumns+` FROM specs`)
	if err != nil {
		return nil, nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	c := &db.specs
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make([]*cachedSpec, 0, len(c.order))
	var byUID map[string]*cachedSpec
	var out []*Spec
	var invalid []*InvalidSpec
	var r specRow
	var command, env, labels sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&r.UID, &r.Image, &command, &env, &r.Restart, &r.DesiredState, &r.CPUs,
			&r.Memory, &labels, &r.Generation, &r.SpecHash, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, nil, translate(err)
		}
		e := c.find(len(next), r.UID, &byUID)
		if e == nil || e.row != r || !bytes.Equal(e.raw[0], command) || !bytes.Equal(e.raw[1], env) || !bytes.Equal(e.raw[2], labels) {
			e = &cachedSpec{raw: [3][]byte{bytes.Clone(command), bytes.Clone(env), bytes.Clone(labels)}, row: r}
			if e.spec, err = decodeValidSpec(r, e.raw); err != nil {
				e.spec, e.invalid = nil, &InvalidSpec{UID: r.UID, Reason: err.Error(), UpdatedAt: r.UpdatedAt, SpecHash: r.SpecHash}
			}
		}
		next = append(next, e)
		if len(rejected) > 0 {
			delete(rejected, r.UID)
		}
		if e.invalid != nil {
			invalid = append(invalid, e.invalid)
			continue
		}
		out = append(out, e.spec)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err)
	}
	c.order = next
	for _, v := range rejected {
		invalid = append(invalid, v)
	}
	return out, invalid, nil
}

// decodeValidSpec decodes a row and validates the spec, as UpsertSpecs
// validates before writing: a row written by hand that the code would
// refuse is as unusable as one that does not decode.
func decodeValidSpec(r specRow, raw [3][]byte) (*Spec, error) {
	s, err := decodeSpec(r, raw)
	if err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// readRejected returns the rows of specs_rejected by uid: each stands for a
// spec an operator wrote that the schema no longer holds, and counts while
// specs lacks its uid. The table is empty but for files that had such rows
// when migrated.
func readRejected(ctx context.Context, tx *Tx) (map[string]*InvalidSpec, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid, reason, updated_at, spec_hash FROM specs_rejected`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	var out map[string]*InvalidSpec
	for rows.Next() {
		v := &InvalidSpec{Rejected: true}
		if err := rows.Scan(&v.UID, &v.Reason, &v.UpdatedAt, &v.SpecHash); err != nil {
			return nil, translate(err)
		}
		if out == nil {
			out = make(map[string]*InvalidSpec)
		}
		out[v.UID] = v
	}
	return out, translate(rows.Err())
}

func decodeSpec(r specRow, raw [3][]byte) (*Spec, error) {
	s := &Spec{
		UID: r.UID, Image: r.Image, Restart: RestartPolicy(r.Restart),
		DesiredState: DesiredState(r.DesiredState), CPUs: r.CPUs, Memory: r.Memory,
		Generation: r.Generation, SpecHash: r.SpecHash,
		CreatedAt: r.CreatedAt.Time(), UpdatedAt: r.UpdatedAt.Time(),
	}
	for i, dst := range []any{&s.Command, &s.Env, &s.Labels} {
		if err := json.Unmarshal(raw[i], dst); err != nil {
			return nil, fmt.Errorf("spec %q: column %s: %w: %v", r.UID, []string{"command", "env", "labels"}[i], ErrInvalid, err)
		}
	}
	s.Normalize()
	return s, nil
}

// readInstances reads every instance record with a plain scan, in storage order.
func readInstances(ctx context.Context, tx *Tx) ([]*Instance, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+instanceColumns+` FROM instances`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	var out []*Instance
	for rows.Next() {
		in := new(Instance)
		if err := rows.Scan(&in.UID, &in.RuntimeID, &in.State, &in.ExitCode, &in.Generation, &in.SpecHash,
			&in.Attempts, &in.RestartCount, &in.ConsecutiveFailures, &in.NextAttemptAt, &in.StartedAt,
			&in.ExitedAt, &in.LastError, &in.UpdatedAt); err != nil {
			return nil, translate(err)
		}
		out = append(out, in)
	}
	return out, translate(rows.Err())
}
