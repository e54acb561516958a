package fleet_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/veloslet/veloslet/fleet"
)

// TestNode_StatusRepairedAfterHandEdit: a status key of the node's changed,
// deleted or added by hand (`nats kv put`, `nats kv del`) is put right within
// a heartbeat: the bucket says what the node runs, whoever wrote to it.
func TestNode_StatusRepairedAfterHandEdit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := oneServer(t)
	c := dialClient(t, url)
	n := newTestNode(t, "edge-1", []string{url}, heartbeatEvery(300*time.Millisecond))
	mustApply(t, c, "edge-1", specs("web", "api")...)
	n.converge(t, waitLong, n.wantRunning(t, map[string]int64{"web": 1, "api": 1}))
	reported := func() error {
		st, err := c.Status(ctx, "edge-1")
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, ns := range st {
			for _, row := range ns.Rows {
				got[row.UID] = row.State
			}
		}
		if len(got) != 2 || got["web"] != "running" || got["api"] != "running" {
			return fmt.Errorf("status bucket says %v, want web and api running and nothing else", got)
		}
		return nil
	}
	n.converge(t, waitLong, reported)

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, fleet.DefaultStatusBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "edge-1.web", []byte(`{"uid":"web","state":"exited","desired":"running"}`)); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "edge-1.api"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "edge-1.ghost", []byte(`{"uid":"ghost","state":"running","desired":"running"}`)); err != nil {
		t.Fatal(err)
	}
	if reported() == nil {
		t.Fatal("the hand edits did not reach the bucket")
	}
	n.converge(t, waitLong, reported)
}
