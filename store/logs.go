package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CrashLog is the kept tail of one exited instance's output: a row of the
// logs table, with its exited event's time and exit code.
type CrashLog struct {
	EventID   int64  `db:"event_id" json:"event_id"`
	UID       string `db:"uid" json:"uid"`
	RuntimeID string `db:"runtime_id" json:"runtime_id"`
	At        Millis `db:"at" json:"-"`
	ExitedAt  Millis `db:"exited_at" json:"-"`
	ExitCode  *int   `db:"exit_code" json:"exit_code"`
	Lines     int    `db:"lines" json:"lines"`
	Truncated bool   `db:"truncated" json:"truncated"`
	Text      string `db:"text" json:"text"`
}

// SaveCrashLog stores l with the exited event of its instance: the newest
// exited event of l.UID since the uid's last launch that has no log yet. If
// there is none (the exit was never recorded, as for an instance replaced
// because it drifted), it writes an exited event first, in pass passID
// (0: none). Only the newest keep logs of the uid stay (keep <= 0 keeps all).
// It sets l.EventID and l.At.
func (db *DB) SaveCrashLog(ctx context.Context, l *CrashLog, passID int64, keep int) error {
	tx, err := db.beginLog(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `SELECT id FROM events
		WHERE uid = ? AND kind = 'exited' AND id NOT IN (SELECT event_id FROM logs WHERE uid = ?)
		AND id > coalesce((SELECT max(id) FROM events WHERE uid = ? AND kind IN ('launched', 'relaunched', 'replaced')), 0)
		ORDER BY id DESC LIMIT 1`, l.UID, l.UID, l.UID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e := Event{UID: l.UID, Kind: EventExited, ExitCode: l.ExitCode,
			Reason: fmt.Sprintf("instance %s exited with code %s; its output was kept before removal", l.RuntimeID, codeOrUnknown(l.ExitCode))}
		if passID > 0 {
			e.PassID = &passID
		}
		if err := tx.createEvent(ctx, &e); err != nil {
			return err
		}
		id = e.ID
	case err != nil:
		return translate(err)
	}
	l.EventID, l.At = id, Millis(tx.now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO logs (event_id, uid, runtime_id, at, lines, truncated, text)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id, l.UID, l.RuntimeID, l.At, l.Lines, l.Truncated, l.Text); err != nil {
		return translate(err)
	}
	if keep > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM logs WHERE uid = ? AND event_id NOT IN
			(SELECT event_id FROM logs WHERE uid = ? ORDER BY event_id DESC LIMIT ?)`, l.UID, l.UID, keep); err != nil {
			return translate(err)
		}
	}
	return tx.Commit()
}

func codeOrUnknown(code *int) string {
	if code == nil {
		return "unknown"
	}
	return fmt.Sprint(*code)
}

// FindCrashLogs returns uid's kept logs, newest first, at most limit (0: all).
func (db *DB) FindCrashLogs(ctx context.Context, uid string, limit int) ([]*CrashLog, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	q := `SELECT l.event_id, l.uid, l.runtime_id, l.at, coalesce(e.at, l.at) AS exited_at, e.exit_code,
		l.lines, l.truncated, l.text
		FROM logs l LEFT JOIN events e ON e.id = l.event_id WHERE l.uid = ? ORDER BY l.event_id DESC`
	args := []any{uid}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var out []*CrashLog
	if err := tx.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
