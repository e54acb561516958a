package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"time"
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
func (c *specCache) find(i int, uid []byte, byUID *map[string]*cachedSpec) *cachedSpec {
	if i < len(c.order) && c.order[i].uid == string(uid) {
		return c.order[i]
	}
	if *byUID == nil {
		*byUID = make(map[string]*cachedSpec, len(c.order))
		for _, e := range c.order {
			(*byUID)[e.uid] = e
		}
	}
	return (*byUID)[string(uid)]
}

type cachedSpec struct {
	uid     string
	row     []byte // the row as read: its numbers' bits, then the packed text (see packedSelect)
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
	rows, err := tx.QueryContext(ctx, `SELECT `+packedSelect+` FROM specs`)
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
	reals, ints := make([]float64, len(numCols)), make([]int64, len(numCols))
	var packed sql.RawBytes
	dest := append(numDest(reals, ints), &packed)
	var row []byte
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, translate(err)
		}
		row = row[:0]
		for j := range numCols {
			row = binary.LittleEndian.AppendUint64(row, math.Float64bits(reals[j]))
			row = binary.LittleEndian.AppendUint64(row, uint64(ints[j]))
		}
		row = append(row, packed...)
		uid := packed
		if i := bytes.IndexByte(packed, 0); i >= 0 {
			uid = packed[:i]
		}
		e := c.find(len(next), uid, &byUID)
		if e == nil || !bytes.Equal(e.row, row) {
			e = &cachedSpec{uid: string(uid), row: bytes.Clone(row)}
			raw, err := unpack(reals, ints, packed)
			if err == nil {
				e.spec, err = decodeValidSpec(raw)
			}
			if err != nil {
				e.spec, e.invalid = nil, &InvalidSpec{UID: e.uid, Reason: err.Error()}
				if raw != nil {
					e.invalid.SpecHash = string(raw[specHashCol])
					if n, perr := strconv.ParseInt(string(raw[updatedAtCol]), 10, 64); perr == nil {
						e.invalid.UpdatedAt = Millis(time.UnixMilli(n).UTC())
					}
				}
			}
		}
		next = append(next, e)
		if len(rejected) > 0 {
			delete(rejected, e.uid)
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
func decodeValidSpec(raw [][]byte) (*Spec, error) {
	s, err := decodeSpec(raw)
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
