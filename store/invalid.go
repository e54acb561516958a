package store

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// InvalidSpec is a specs row the code cannot use: it does not decode, or the
// spec fails Validate (a hand-written row the schema let through), or it is
// a row migration 00004 moved to specs_rejected. A pass skips its uid
// entirely: the instance is neither launched, relaunched nor removed as an
// orphan, and its record is left as it was. Every other spec is supervised.
type InvalidSpec struct {
	UID    string `json:"uid"`
	Reason string `json:"reason"`
	// UpdatedAt and SpecHash are the row's version: an invalid event is
	// written once per version (and per reason).
	UpdatedAt Millis `json:"-"`
	SpecHash  string `json:"spec_hash"`
	// Rejected is set for a row of specs_rejected.
	Rejected bool `json:"rejected,omitempty"`
}

// invalidVersion is what makes a noted invalid row new.
type invalidVersion struct {
	reason    string
	updatedAt int64
	specHash  string
}

func versionOf(v *InvalidSpec) invalidVersion {
	var at int64
	if !v.UpdatedAt.Time().IsZero() {
		at = v.UpdatedAt.Time().UnixMilli()
	}
	return invalidVersion{reason: v.Reason, updatedAt: at, specHash: v.SpecHash}
}

// notedInvalid remembers what this process last found in (or wrote to)
// invalid_specs, so that a pass with nothing new writes nothing and does
// not even read the table.
type notedInvalid struct {
	mu    sync.Mutex
	known bool
	uids  map[string]invalidVersion
}

// NoteInvalid records the invalid specs a pass found in invalid_specs, in
// one short write transaction: a row for each uid whose version or reason
// is new, with one invalid event (kind invalid, written by pass passID), and
// the rows of uids no longer invalid deleted. When nothing changed it writes
// nothing.
func (db *DB) NoteInvalid(ctx context.Context, passID int64, invalid []*InvalidSpec) error {
	want := make(map[string]invalidVersion, len(invalid))
	byUID := make(map[string]*InvalidSpec, len(invalid))
	for _, v := range invalid {
		want[v.UID], byUID[v.UID] = versionOf(v), v
	}
	n := &db.noted
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.known && maps.Equal(n.uids, want) {
		return nil
	}
	// Another process (a one-off pass of the CLI) may have noted the same:
	// look before taking the write lock.
	rtx, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	have, err := readNoted(ctx, rtx)
	rtx.Rollback()
	if err != nil {
		return err
	}
	if maps.Equal(have, want) {
		n.known, n.uids = true, want
		return nil
	}
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if have, err = readNoted(ctx, tx); err != nil {
		return err
	}
	var pass *int64
	if passID > 0 {
		pass = &passID
	}
	for _, uid := range slices.Sorted(maps.Keys(want)) {
		v, ver := byUID[uid], want[uid]
		if old, ok := have[uid]; ok && old == ver {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invalid_specs (uid, reason, updated_at, spec_hash, noted_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET reason = excluded.reason,
			updated_at = excluded.updated_at, spec_hash = excluded.spec_hash, noted_at = excluded.noted_at`,
			uid, v.Reason, v.UpdatedAt, v.SpecHash, Millis(tx.now)); err != nil {
			return translate(err)
		}
		if err := tx.createEvent(ctx, &Event{PassID: pass, UID: uid, Kind: EventInvalid, Reason: v.Reason}); err != nil {
			return err
		}
	}
	for uid := range have {
		if _, ok := want[uid]; ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invalid_specs WHERE uid = ?`, uid); err != nil {
			return translate(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	n.known, n.uids = true, want
	return nil
}

func readNoted(ctx context.Context, tx *Tx) (map[string]invalidVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT uid, reason, updated_at, spec_hash FROM invalid_specs`)
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = rows.Close() }()
	out := map[string]invalidVersion{}
	for rows.Next() {
		var v InvalidSpec
		if err := rows.Scan(&v.UID, &v.Reason, &v.UpdatedAt, &v.SpecHash); err != nil {
			return nil, translate(err)
		}
		out[v.UID] = versionOf(&v)
	}
	return out, translate(rows.Err())
}
