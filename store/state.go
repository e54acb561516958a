package store

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
)

// State is one consistent snapshot of desired specs and instance records.
type State struct {
	Specs     []*Spec
	Instances []*Instance
	// Invalid holds the spec rows that could not be decoded or validated:
	// a pass leaves their uids alone (see InvalidSpec).
	Invalid []*InvalidSpec
	// Adopted holds the runtime ids this store adopted (see Adoption).
	Adopted map[string]bool
	// Restarts are the operators' restart requests, by uid.
	Restarts map[string]time.Time
	ReadAt   time.Time
}

// stateCache keeps the last State a read returned, so that a pass after
// which nothing changed reads no rows. It is valid while three numbers stand
// where they stood at that read:
//
//   - PRAGMA data_version on the store's one connection, which SQLite
//     changes when another connection commits (an apply, a sqlite3 session,
//     a fleet mirror in another process);
//   - connOpens, the connections this process has opened: data_version
//     compares only readings of one connection, and database/sql replaces
//     a connection the driver marked bad (after an interrupted query);
//   - gen, which this process bumps with every write transaction it
//     commits through Tx.Commit, and with every migration, but for the
//     transactions begun with beginLog (pass rows, events, logs, meta,
//     invalid_specs, pulls: no table ReadState reads).
//
// A transaction that should have used beginLog and did not costs a full
// read, never a stale plan.
type stateCache struct {
	gen atomic.Uint64

	mu          sync.Mutex
	st          *State
	dataVersion int64
	atGen       uint64
	atConns     uint64
	hits, reads atomic.Int64
}

// connOpens counts the SQLite connections this process opened.
var connOpens atomic.Uint64

// countConnsOnce guards the driver's connection hook: the hook list is the
// driver's, process-wide, so it is registered once, by the first Open,
// before that Open's first connection (a hook per Open would count each
// connection once per database ever opened).
var countConnsOnce sync.Once

// countConns makes the driver count every connection it opens in connOpens.
func countConns() {
	countConnsOnce.Do(func() {
		sqlite.RegisterConnectionHook(func(sqlite.ExecQuerierContext, string) error {
			connOpens.Add(1)
			return nil
		})
	})
}

// ReadState returns every spec and instance record (each list sorted by uid),
// the invalid specs, adoptions and restart requests, from one read
// transaction, so a pass plans against a consistent snapshot. When nothing
// has been written since the last call (see stateCache) it returns what
// that call read without reading the tables again. The slices and maps are
// the caller's; the specs and records they point to are shared with later
// reads, and callers must not modify them.
func (db *DB) ReadState(ctx context.Context) (*State, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// The connection is ours until Rollback: no write of this process can
	// commit between these two reads and the table reads below.
	gen, conns := db.state.gen.Load(), connOpens.Load()
	var dv int64
	if err := tx.GetContext(ctx, &dv, `PRAGMA data_version`); err != nil {
		return nil, translate(err)
	}
	c := &db.state
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil || c.dataVersion != dv || c.atGen != gen || c.atConns != conns {
		st, err := db.readState(ctx, tx)
		if err != nil {
			return nil, err
		}
		c.st, c.dataVersion, c.atGen, c.atConns = st, dv, gen, conns
		c.reads.Add(1)
	} else {
		c.hits.Add(1)
	}
	return &State{
		Specs: slices.Clone(c.st.Specs), Instances: slices.Clone(c.st.Instances),
		Invalid: slices.Clone(c.st.Invalid), Adopted: maps.Clone(c.st.Adopted),
		Restarts: maps.Clone(c.st.Restarts), ReadAt: tx.now,
	}, nil
}

// StateReads counts the calls of ReadState that read the tables (full) and
// those that found nothing written since and returned the last read
// (cached), for the metrics.
func (db *DB) StateReads() (cached, full int64) {
	return db.state.hits.Load(), db.state.reads.Load()
}

func (db *DB) readState(ctx context.Context, tx *Tx) (*State, error) {
	specs, invalid, err := db.readSpecs(ctx, tx)
	if err != nil {
		return nil, err
	}
	instances, err := readInstances(ctx, tx)
	if err != nil {
		return nil, err
	}
	adopted, err := readAdopted(ctx, tx)
	if err != nil {
		return nil, err
	}
	restarts, err := readRestarts(ctx, tx)
	if err != nil {
		return nil, err
	}
	// Sorted once per change, so that the passes reading it from the cache
	// find it sorted (the planner walks the lists in uid order).
	slices.SortFunc(specs, func(a, b *Spec) int { return strings.Compare(a.UID, b.UID) })
	slices.SortFunc(instances, func(a, b *Instance) int { return strings.Compare(a.UID, b.UID) })
	slices.SortFunc(invalid, func(a, b *InvalidSpec) int { return strings.Compare(a.UID, b.UID) })
	return &State{Specs: specs, Instances: instances, Invalid: invalid, Adopted: adopted, Restarts: restarts}, nil
}
