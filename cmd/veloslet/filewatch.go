package main

import (
	"context"
	"errors"
	"time"

	"github.com/veloslet/veloslet/store"
)

// fileCheckInterval is how often serve checks that its path still names the
// database file it has open. A file moved or replaced under the daemon must
// be noticed before its WAL, left at the path, meets whatever is put there
// next (a restored copy would read the old WAL's pages as its own): a stat
// costs microseconds, so four a second.
const fileCheckInterval = 250 * time.Millisecond

// watchFile calls replaced once, and returns, when the database path no
// longer names the file db has open, or when ctx ends.
func watchFile(ctx context.Context, db *store.DB, replaced func(error)) {
	t := time.NewTicker(fileCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := db.CheckFile(); errors.Is(err, store.ErrFileReplaced) {
			replaced(err)
			return
		}
	}
}
