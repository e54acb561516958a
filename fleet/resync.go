package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ResyncResult is what Resync confirmed.
type ResyncResult struct {
	Key           string    // the confirmation key: the node name alone
	Revision      uint64    // its revision
	BucketCreated time.Time // the identity of the bucket confirmed
	Keys          int       // the node's keys the bucket holds now: what the node will run
}

// Resync tells node to mirror the specs bucket as it is now, deleting the
// fleet specs it holds no key for: the end of a hold (docs/fleet.md). The
// confirmation names this bucket's identity, so that it never applies to
// a bucket made later. The bucket is created when missing (an empty one:
// the node then deletes every fleet spec, as confirmed).
func (c *Client) Resync(ctx context.Context, node string) (*ResyncResult, error) {
	if err := ValidNode(node); err != nil {
		return nil, fmt.Errorf("node %q: %v", node, err)
	}
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	st, err := c.b.specs.Status(octx)
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", c.Config.SpecsBucket, err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return nil, fmt.Errorf("fleet: bucket %s: no stream information", c.Config.SpecsBucket)
	}
	created := bs.StreamInfo().Created
	keys, err := c.b.specs.ListKeysFiltered(octx, node+".>")
	if err != nil {
		return nil, fmt.Errorf("fleet: list keys of %s: %w", node, err)
	}
	res := &ResyncResult{Key: node, BucketCreated: created}
	for range keys.Keys() {
		res.Keys++
	}
	v, _ := json.Marshal(Confirm{Node: node, BucketCreated: created.UnixNano(), At: formatTime(time.Now())})
	if res.Revision, err = c.b.specs.Put(octx, node, v); err != nil {
		return nil, fmt.Errorf("fleet: put %s: %w", node, err)
	}
	return res, nil
}

// DeleteInvalid removes every message of node's key space in the specs
// bucket whose key breaks NATS's key rules (a raw publish stored it, and
// the key-value client cannot name it), every revision of it, and returns
// those keys quoted. Valid keys are left alone.
func (c *Client) DeleteInvalid(ctx context.Context, node string) ([]string, error) {
	if err := ValidNode(node); err != nil {
		return nil, fmt.Errorf("node %q: %v", node, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 4*opTimeout)
	defer cancel()
	stream, err := c.b.js.Stream(ctx, "KV_"+c.Config.SpecsBucket)
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", c.Config.SpecsBucket, err)
	}
	prefix := "$KV." + c.Config.SpecsBucket + "."
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{prefix + node + ".>"}})
	if err != nil {
		return nil, err
	}
	info, err := cons.Info(ctx)
	if err != nil || info.NumPending == 0 {
		return nil, err
	}
	var bad []uint64
	var keys []string
	seen := map[string]bool{}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(opTimeout))
		if err != nil {
			return keys, fmt.Errorf("fleet: read bucket %s: %w", c.Config.SpecsBucket, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return keys, err
		}
		if k := strings.TrimPrefix(m.Subject(), prefix); !ValidKey(k) {
			bad = append(bad, md.Sequence.Stream)
			if q := strconv.QuoteToASCII(k); !seen[q] {
				seen[q] = true
				keys = append(keys, q)
			}
		}
		if md.NumPending == 0 {
			break
		}
	}
	for _, seq := range bad {
		if err := stream.DeleteMsg(ctx, seq); err != nil {
			return keys, fmt.Errorf("fleet: delete message %d: %w", seq, err)
		}
	}
	return keys, nil
}
