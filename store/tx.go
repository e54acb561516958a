package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Tx is a transaction with the time read once at its start, so every row it
// writes carries the same timestamp.
type Tx struct {
	*sqlx.Tx
	db  *DB
	now time.Time
	// write: BeginTx started it. keepsState: its writes touch no table
	// ReadState reads, so its commit leaves the state cache valid.
	write, keepsState bool
	stmts             map[string]*sql.Stmt // see prepared
}

// prepared returns query prepared once for this transaction. A batch (an
// apply of many specs) runs the same statement for every row, and SQLite's
// compile of a spec's insert, with every CHECK and trigger of the table,
// costs more than the insert. The statements close with the transaction.
func (tx *Tx) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := tx.stmts[query]; st != nil {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, translate(err)
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// BeginTx starts a write transaction (BEGIN IMMEDIATE, from the DSN).
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) {
	tx, err := db.begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	tx.write = true
	return tx, nil
}

// beginLog starts a write transaction that writes only tables no pass plans
// from: passes, events, logs, meta, invalid_specs, pulls (see stateCache).
func (db *DB) beginLog(ctx context.Context) (*Tx, error) {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	tx.keepsState = true
	return tx, nil
}

// beginRead starts a deferred, read-only transaction: one consistent snapshot
// that never takes the write lock.
func (db *DB) beginRead(ctx context.Context) (*Tx, error) {
	return db.begin(ctx, &sql.TxOptions{ReadOnly: true})
}

func (db *DB) begin(ctx context.Context, opts *sql.TxOptions) (*Tx, error) {
	tx, err := db.db.BeginTxx(ctx, opts)
	if err != nil {
		return nil, translate(err)
	}
	return &Tx{Tx: tx, db: db, now: db.Now().UTC()}, nil
}

// Commit commits the transaction. A write that may change the state is
// counted before it commits, while the connection is still this
// transaction's: ReadState, on the same single connection, cannot see the
// new rows and the old count together. A commit that then fails costs one
// full read.
func (tx *Tx) Commit() error {
	if tx.write && !tx.keepsState {
		tx.db.state.gen.Add(1)
	}
	tx.stmts = nil // closed with the transaction
	return translate(tx.Tx.Commit())
}

// Rollback aborts the transaction; after Commit it does nothing. It is
// deferred by every method, and a failed rollback has no remedy: SQLite
// rolls back on its own when the connection ends.
func (tx *Tx) Rollback() {
	tx.stmts = nil
	_ = tx.Tx.Rollback()
}

func (tx *Tx) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := tx.GetContext(ctx, &v, `SELECT value FROM meta WHERE key = ?`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, translate(err)
}

func (tx *Tx) setMeta(ctx context.Context, key, value string) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		key, value)
	return translate(err)
}
