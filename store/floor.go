package store

import "context"

// Floor reads every spec row and every instance record with plain queries
// into plain strings and numbers, decoding nothing. It is the yardstick a
// pass's read cost is benchmarked against; returns the row counts.
func (db *DB) Floor(ctx context.Context) (specs, instances int, err error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	var r specRow
	rows, err := tx.QueryContext(ctx, `SELECT `+specColumns+` FROM specs`)
	if err != nil {
		return 0, 0, translate(err)
	}
	for rows.Next() {
		if err := rows.Scan(&r.UID, &r.Image, &r.Command, &r.Env, &r.Restart, &r.DesiredState, &r.CPUs,
			&r.Memory, &r.Labels, &r.Generation, &r.SpecHash, &r.CreatedAt, &r.UpdatedAt); err != nil {
			_ = rows.Close()
			return 0, 0, translate(err)
		}
		specs++
	}
	if err := rows.Close(); err != nil {
		return 0, 0, translate(err)
	}
	recs, err := readInstances(ctx, tx)
	return specs, len(recs), err
}
