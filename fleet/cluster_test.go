package fleet_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
)

// replicated makes the buckets and the stream with three replicas, as an
// operator of a cluster does before the nodes start (docs/fleet.md).
func replicated(t *testing.T, url string) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	// The servers elect a JetStream meta leader once routed: until then
	// nothing can be created.
	storeRetry(t, func() error {
		for _, b := range []string{fleet.DefaultSpecsBucket, fleet.DefaultStatusBucket} {
			if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: b, Replicas: 3, History: 5}); err != nil {
				return err
			}
		}
		_, err := js.CreateOrUpdateStream(ctx, fleet.StreamConfig(fleet.DefaultEventsStream, 3))
		return err
	})
}

// leaderOf names the server leading the specs bucket's stream.
func leaderOf(t *testing.T, url string) string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	s, err := js.Stream(ctx, "KV_"+fleet.DefaultSpecsBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.Cluster.Leader
}

// TestSoak_ClusterLeaderKilled: three servers, three nodes connected to all
// of them; the specs bucket's leader is killed while a round of writes is
// under way and the nodes keep converging on that round.
func TestSoak_ClusterLeaderKilled(t *testing.T) {
	servers, _ := cluster(t)
	var urls []string
	for _, s := range servers {
		urls = append(urls, s.ClientURL())
	}
	replicated(t, urls[0])
	var nodes []*testNode
	for i := range 3 {
		nodes = append(nodes, newTestNode(t, fmt.Sprintf("n%d", i+1), urls))
	}
	c := dialClient(t, strings.Join(urls, ","))
	for _, n := range nodes {
		mustApply(t, c, n.name, specs("web", "api")...)
	}
	for _, n := range nodes {
		n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1}))
	}

	// Kill the leader of the specs bucket while the next round of writes
	// is under way, from a client of the two servers that stay.
	leader := leaderOf(t, urls[0])
	var rest []string
	var victim int
	for i, s := range servers {
		if s.Name() == leader {
			victim = i
			continue
		}
		rest = append(rest, s.ClientURL())
	}
	if len(rest) != 2 {
		t.Fatalf("leader %q is none of the servers", leader)
	}
	c2 := dialClient(t, strings.Join(rest, ","))
	up := specs("web")
	up[0].Env = map[string]string{"V": "2"}
	applied := make(chan error, 1)
	go func() {
		applied <- retryFor(func() error {
			for _, n := range nodes {
				if _, err := c2.Apply(context.Background(), n.name, append(up, specs("extra")...)); err != nil {
					return err // a new leader is being elected
				}
			}
			return nil
		})
	}()
	servers[victim].Shutdown()
	if err := <-applied; err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 2, "api": 1, "extra": 1}))
	}
	for _, n := range nodes {
		n.converge(t, waitLong, func() error {
			st := statusOf(t, c2, n.name)
			if st["web"].RunningGeneration != 2 || st["extra"].State != "running" {
				return fmt.Errorf("status of %s: %+v", n.name, st)
			}
			return nil
		})
		n.converge(t, waitLong, sameEvents(t, c2, n))
	}
}

// storeRetry retries fn with a deadline while the cluster recovers.
func storeRetry(t *testing.T, fn func() error) {
	t.Helper()
	if err := retryFor(fn); err != nil {
		t.Fatal(err)
	}
}

// retryFor calls fn until it succeeds, returning its last error after waitLong.
func retryFor(fn func() error) error {
	deadline := time.Now().Add(waitLong)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond) // polling a cluster electing a leader
	}
}
