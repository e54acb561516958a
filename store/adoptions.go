package store

import (
	"context"
	"fmt"
)

// Adoption records that this store took over a container it did not label:
// its runtime id is ours from then on (see migration 00007).
type Adoption struct {
	RuntimeID string `db:"runtime_id"`
	UID       string `db:"uid"`
	FromStore string `db:"from_store"` // its velos.store label; "" for none
	AdoptedAt Millis `db:"adopted_at"`
}

func (tx *Tx) putAdoption(ctx context.Context, a Adoption) error {
	if a.RuntimeID == "" || a.UID == "" {
		return fmt.Errorf("adoption: runtime id %q and uid %q: %w: both are needed", a.RuntimeID, a.UID, ErrInvalid)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO adoptions (runtime_id, uid, from_store, adopted_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (runtime_id) DO UPDATE SET uid = excluded.uid, from_store = excluded.from_store,
		adopted_at = excluded.adopted_at`, a.RuntimeID, a.UID, a.FromStore, Millis(tx.now))
	return translate(err)
}

// readAdopted returns the runtime ids this store adopted.
func readAdopted(ctx context.Context, tx *Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT runtime_id FROM adoptions`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	var out map[string]bool
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[id] = true
	}
	return out, translate(rows.Err())
}
