package supervisor

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// notePull records that uid's launch is pulling image, for status. A
// failure to record costs only that display.
func (s *Supervisor) notePull(ctx context.Context, passID int64, uid, image string) {
	s.logger().Info("pulling image", LogKeyPass, passID, LogKeyUID, uid, "image", image)
	if err := s.DB.StartPull(context.WithoutCancel(ctx), uid, image, passID); err != nil {
		s.logger().Warn("record pull", LogKeyUID, uid, LogKeyError, err)
	}
}

func (s *Supervisor) endPull(uid string) {
	if err := s.DB.EndPull(context.Background(), uid); err != nil {
		// Left there, status would show the uid pulling until a restart.
		s.logger().Warn("record pull end; retried by the next pass", LogKeyUID, uid, LogKeyError, err)
		s.stalePulls.add(uid)
	}
}

// retryEndPulls deletes the pull rows endPull could not, but for uids
// whose action is in flight again (its own end deletes the row).
func (s *Supervisor) retryEndPulls(ctx context.Context) {
	for _, uid := range s.stalePulls.take() {
		if s.workers.isBusy(uid) {
			continue
		}
		if err := s.DB.EndPull(ctx, uid); err != nil {
			s.stalePulls.add(uid)
		}
	}
}

// pullSet is a set of uids safe for the workers and the pass to share.
type pullSet struct {
	mu   sync.Mutex
	uids map[string]bool
}

func (p *pullSet) add(uid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.uids == nil {
		p.uids = map[string]bool{}
	}
	p.uids[uid] = true
}

func (p *pullSet) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Collect(maps.Keys(p.uids))
	p.uids = nil
	return out
}
