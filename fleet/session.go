package fleet

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// errRestart ends a session so that the next one plans anew: the specs
// bucket changed, the mirror was held, or a hold can end.
var errRestart = errors.New("fleet: session restarts")

// session mirrors and reports over one connection until it drops: then the
// watch is made anew from the store's revision, whichever server answers.
// The status and events go on whatever the specs bucket is; the specs are
// mirrored only in the mode plan chose.
func (n *Node) session(ctx context.Context, nc *nats.Conn) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	epoch := n.currentEpoch()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	b, err := openBuckets(ctx, js, n.Config, false)
	if err != nil {
		return err
	}
	st, err := n.lookSpecs(ctx, js)
	if err != nil {
		return err
	}
	md, err := n.plan(ctx, st)
	if err != nil {
		return err
	}
	// The reporter reads the status bucket with a watch of its own that it
	// stops at once: done before the specs watch starts, as a stopped
	// watch's late unsubscribe was seen closing the specs watch in the
	// middle of its catch-up (TestNode_OneSessionPerConnection).
	r := &reporter{n: n, b: b, epoch: epoch}
	if err := r.start(ctx); err != nil {
		return err
	}
	var m *mirror
	var updates <-chan jetstream.KeyValueEntry // nil while not mirroring: never ready
	if md == modeMirror || md == modeResync {
		m = &mirror{n: n, kv: st.kv, st: st, resync: md == modeResync, epoch: epoch}
		if err := m.start(ctx); err != nil {
			return err
		}
		defer m.stop()
		updates = m.updates()
	}
	tick := time.NewTicker(n.ReportInterval)
	defer tick.Stop()
	check := time.NewTicker(n.CheckInterval)
	defer check.Stop()
	n.log().Info("fleet connected", "url", nc.ConnectedUrlRedacted(), "bucket", n.Config.SpecsBucket,
		"mirroring", md == modeMirror || md == modeResync)
	if md == modeWait {
		n.log().Warn("fleet: the specs bucket is missing; waiting for `veloslet fleet apply` to create it",
			"bucket", n.Config.SpecsBucket)
	}
	for {
		// A report or a check can wait out its timeout on a dead link:
		// a connection change seen meanwhile ends the session first.
		if n.currentEpoch() != epoch {
			n.saveState(ctx)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-n.kick:
			n.saveState(ctx) // even with the epoch unchanged: it may have moved before this session read it
			if n.currentEpoch() != epoch {
				return nil
			}
		case e, ok := <-updates:
			if !ok {
				return errWatchClosed
			}
			if err := m.handle(ctx, e); errors.Is(err, errRestart) {
				return nil
			} else if err != nil {
				return err
			}
		case <-n.notify:
			if err := r.report(ctx, false); err != nil {
				return err
			}
		case <-tick.C:
			if err := r.report(ctx, false); err != nil {
				return err
			}
		case <-check.C:
			if again, err := n.recheck(ctx, js, st, md); again || err != nil {
				return err
			}
		}
	}
}

// recheck reads the specs bucket again. A bucket deleted or made anew
// ends the session at once (a watch on a deleted stream may just go quiet);
// a held or waiting session ends when planning again would change its mode.
func (n *Node) recheck(ctx context.Context, js jetstream.JetStream, was specsState, md mode) (bool, error) {
	now, err := n.lookSpecs(ctx, js)
	if err != nil {
		return false, nil // a slow or electing server: the next check retries
	}
	if !now.same(was) {
		n.log().Info("fleet: the specs bucket changed; looking again", "bucket", n.Config.SpecsBucket,
			"present", now.kv != nil)
		return true, nil
	}
	if md == modeMirror {
		// An operator's confirmation ends an absent hold, or lets go of
		// removals the brake holds for the fleet: a confirmed resync.
		ok, err := n.confirmedSince(ctx, now, n.Held())
		return ok && err == nil, nil // an error: the next check retries
	}
	if md != modeHeld && md != modeWait {
		return false, nil
	}
	again, err := n.plan(ctx, now)
	return again != md, err
}
