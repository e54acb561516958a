package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	vspec "github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
	"github.com/veloslet/veloslet/store/storetest"
)

// readerHold is how long the replication tool's stand-in keeps its read
// transaction: long enough that a checkpoint waiting on it (as TRUNCATE
// does, up to the 5 s busy timeout) shows as writes stuck for well over the
// 1 s bound, short enough for the fast suite.
const readerHold = 3 * time.Second

// TestCheckpoint_LongReaderNeverBlocksWrites holds a read transaction open
// from another connection, as litestream does at all times, while the
// daemon's periodic checkpoint runs and writes go on through the daemon's
// one connection: no write waits more than a second, and the checkpoint
// says it stopped short rather than waiting.
func TestCheckpoint_LongReaderNeverBlocksWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "veloslet.db")
	db := storetest.MustOpenDBAt(t, path)
	write := func(i int) {
		t.Helper()
		if _, err := db.UpsertSpecs(ctx, []store.Spec{{UID: fmt.Sprintf("s%04d", i), Container: vspec.Container{Image: "busybox"}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		write(i)
	}
	reader, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = reader.Close() }()
	rtx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM specs`).Scan(&n); err != nil { // the snapshot starts here
		t.Fatal(err)
	}
	held := time.Now()
	for i := 50; i < 100; i++ {
		write(i) // frames the reader's snapshot keeps in the WAL
	}

	type outcome struct {
		res store.CheckpointResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := db.CheckpointPassive(ctx)
		done <- outcome{res, err}
	}()
	// Writes go on while the checkpoint runs, at least ten of them and for
	// readerHold, and the reader lets go only once the checkpoint returned:
	// on a loaded machine the counts, not the clock, decide what is shown.
	var worst time.Duration
	var out outcome
	returned := false
	for i := 100; !returned || i < 110 || time.Since(held) < readerHold; i++ {
		start := time.Now()
		write(i)
		worst = max(worst, time.Since(start))
		select {
		case out = <-done:
			returned = true
		default:
		}
		time.Sleep(20 * time.Millisecond) // a write every 20 ms, as a busy daemon would
	}
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if out.err != nil {
		t.Fatal(out.err)
	}
	t.Logf("reader held %s; worst write %s; checkpoint %+v", time.Since(held).Round(time.Millisecond), worst, out.res)
	if worst > time.Second {
		t.Fatalf("a write waited %s behind the checkpoint while a reader held its snapshot; want at most 1s", worst)
	}
	if out.res.Complete() {
		t.Fatalf("checkpoint %+v says complete, but the reader held frames back", out.res)
	}
	// Once the reader is gone, a checkpoint gets everything.
	res, err := db.CheckpointPassive(ctx)
	if err != nil || !res.Complete() {
		t.Fatalf("checkpoint with no reader: %+v, %v; want complete", res, err)
	}
}
