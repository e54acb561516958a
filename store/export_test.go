package store

import (
	"context"
)

// SetBackupCreatedHook runs fn after Backup creates its file, until the
// returned function is called.
func SetBackupCreatedHook(fn func(path string)) (restore func()) {
	backupCreated = fn
	return func() { backupCreated = nil }
}

// FindAdoptions returns every adoption on record, ordered by uid.
func (db *DB) FindAdoptions(ctx context.Context) ([]Adoption, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var out []Adoption
	err = tx.SelectContext(ctx, &out, `SELECT runtime_id, uid, from_store, adopted_at FROM adoptions ORDER BY uid, runtime_id`)
	return out, translate(err)
}

// MigrateUp applies every pending migration.
func (db *DB) MigrateUp(ctx context.Context) error { return db.migrate(ctx) }

// MigrateDownTo rolls the schema back to version; storetest.MigrateDownTo
// does it for other packages, on a file by path.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	defer db.state.gen.Add(1) // goose commits on its own
	_, err = p.DownTo(ctx, version)
	return translate(err)
}
