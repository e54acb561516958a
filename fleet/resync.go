package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
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

// CountKeys returns how many keys the specs bucket holds for node.
func (c *Client) CountKeys(ctx context.Context, node string) (int, error) {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	keys, err := c.b.specs.ListKeysFiltered(octx, node+".>")
	if err != nil {
		return 0, fmt.Errorf("fleet: list keys of %s: %w", node, err)
	}
	n := 0
	for range keys.Keys() {
		n++
	}
	return n, nil
}

// DeleteInvalid removes the keys of node's key space in the specs bucket
// that break NATS's key rules (a raw publish stored them; the key-value
// client cannot name them) and returns them quoted. A key of literal tokens
// is purged, every revision; one holding a wildcard token ("*", ">") cannot
// be purged alone (the purge filter would take the node's other keys), so
// it gets a delete marker, as `fleet delete` gives a valid key. Valid keys
// are left alone.
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
	// Every message, not the last per subject: the server's last-per-subject
	// lookup reads a literal "*" or ">" token as a wildcard.
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{prefix + node + ".>"}})
	if err != nil {
		return nil, err
	}
	info, err := cons.Info(ctx)
	if err != nil || info.NumPending == 0 {
		return nil, err
	}
	live := map[string]bool{} // bad subject -> its newest message is a value
	var order []string
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(opTimeout))
		if err != nil {
			return nil, fmt.Errorf("fleet: read bucket %s: %w", c.Config.SpecsBucket, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return nil, err
		}
		if k := strings.TrimPrefix(m.Subject(), prefix); !ValidKey(k) {
			if _, ok := live[m.Subject()]; !ok {
				order = append(order, m.Subject())
			}
			op := m.Headers().Get("KV-Operation")
			live[m.Subject()] = op != "DEL" && op != "PURGE"
		}
		if md.NumPending == 0 {
			break
		}
	}
	var subjects []string
	for _, subj := range order {
		if live[subj] {
			subjects = append(subjects, subj)
		}
	}
	var keys []string
	for _, subj := range subjects {
		if wildcard(subj) {
			msg := nats.NewMsg(subj)
			msg.Header.Set("KV-Operation", "DEL")
			_, err = c.b.js.PublishMsg(ctx, msg)
		} else {
			err = stream.Purge(ctx, jetstream.WithPurgeSubject(subj))
		}
		if err != nil {
			return keys, fmt.Errorf("fleet: remove %s: %w", strconv.QuoteToASCII(subj), err)
		}
		keys = append(keys, strconv.QuoteToASCII(strings.TrimPrefix(subj, prefix)))
	}
	return keys, nil
}

// wildcard reports whether a subject holds a wildcard token.
func wildcard(subj string) bool {
	for _, tok := range strings.Split(subj, ".") {
		if tok == "*" || tok == ">" {
			return true
		}
	}
	return false
}
