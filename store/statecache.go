package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
)

// specCache keeps decoded specs between passes, keyed by uid, with the raw
// row they came from. A pass re-reads every row (that is its snapshot) but
// decodes the JSON columns only of rows that changed, so a pass over
// unchanged specs costs little more than reading them.
type specCache struct {
	mu      sync.Mutex
	entries map[string]*cachedSpec
}

type cachedSpec struct {
	raw  [3][]byte // command, env, labels as stored
	row  specRow   // the other columns (JSON fields left empty)
	spec *Spec
}

// readSpecs reads every spec, in storage order (the planner sorts; an
// ORDER BY uid would walk the primary-key index and look up every row), through the cache. The specs it
// returns are shared with later reads: callers must not modify them.
func (db *DB) readSpecs(ctx context.Context, tx *Tx) ([]*Spec, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+specColumns+` FROM specs`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	c := &db.specs
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]*cachedSpec, len(c.entries))
	var out []*Spec
	var r specRow
	var command, env, labels sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&r.UID, &r.Image, &command, &env, &r.Restart, &r.DesiredState, &r.CPUs,
			&r.Memory, &labels, &r.Generation, &r.SpecHash, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, translate(err)
		}
		e := c.entries[r.UID]
		if e == nil || e.row != r || !bytes.Equal(e.raw[0], command) || !bytes.Equal(e.raw[1], env) || !bytes.Equal(e.raw[2], labels) {
			e = &cachedSpec{raw: [3][]byte{bytes.Clone(command), bytes.Clone(env), bytes.Clone(labels)}, row: r}
			if e.spec, err = decodeSpec(r, e.raw); err != nil {
				return nil, err
			}
		}
		next[r.UID] = e
		out = append(out, e.spec)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	c.entries = next
	return out, nil
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
			return nil, fmt.Errorf("spec %q: column %s: %w", r.UID, []string{"command", "env", "labels"}[i], err)
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
