package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// opTimeout bounds one request to the servers, so that a call made while a
// cluster elects a new leader fails and is retried instead of hanging.
const opTimeout = 5 * time.Second

// dialOptions are the options every connection shares.
func (c Config) dialOptions(name string) []nats.Option {
	opts := []nats.Option{nats.Name(name), nats.Timeout(opTimeout)}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.NKey != "" {
		if o, err := nats.NkeyOptionFromSeed(c.NKey); err == nil {
			opts = append(opts, o)
		} else {
			opts = append(opts, func(*nats.Options) error { return fmt.Errorf("fleet.nkey %q: %w", c.NKey, err) })
		}
	}
	if c.Node != "" {
		// Replies come to the node's own inboxes, so that a server's
		// permissions can let a node read only its own (docs/fleet.md).
		opts = append(opts, nats.CustomInboxPrefix(InboxPrefix(c.Node)))
	}
	return opts
}

// InboxPrefix is where a node's replies arrive: "_INBOX_<node>".
func InboxPrefix(node string) string { return "_INBOX_" + node }

// Connect opens a connection for a one-off command: it fails when no
// server answers.
func Connect(c Config, name string) (*nats.Conn, error) {
	c.Node = "" // an operator's command is no node: the default inboxes
	nc, err := nats.Connect(strings.Join(c.URLs, ","), append(c.dialOptions(name), nats.MaxReconnects(2))...)
	if err != nil {
		return nil, fmt.Errorf("fleet: connect to %s: %w", strings.Join(c.URLs, ", "), err)
	}
	return nc, nil
}

// buckets are the handles a node and the commands use; specs is nil while
// the specs bucket is missing (a node does not create it).
type buckets struct {
	js     jetstream.JetStream
	specs  jetstream.KeyValue
	status jetstream.KeyValue
	stream jetstream.Stream
}

// openBuckets finds the status bucket and the stream, creating with one
// replica those that do not exist (an operator makes replicated ones
// beforehand: docs/fleet.md), then the specs bucket: created only with
// createSpecs, left nil when missing otherwise.
func openBuckets(ctx context.Context, js jetstream.JetStream, c Config, createSpecs bool) (*buckets, error) {
	b := &buckets{js: js}
	var err error
	if b.status, err = openKV(ctx, js, jetstream.KeyValueConfig{Bucket: c.StatusBucket, History: 1,
		Description: "veloslet status, keys <node>.<uid> and <node>"}, true); err != nil {
		return nil, err
	}
	if b.stream, err = openStream(ctx, js, c.EventsStream); err != nil {
		return nil, err
	}
	b.specs, err = openKV(ctx, js, SpecsBucketConfig(c.SpecsBucket, 1), createSpecs)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// SpecsBucketConfig is the specs bucket the fleet verbs create.
func SpecsBucketConfig(name string, replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{Bucket: name, History: 5, Replicas: replicas,
		Description: "veloslet desired specs, keys <node>.<uid>"}
}

// openKV opens a bucket; a missing one is created with create, else the
// error wraps jetstream.ErrBucketNotFound.
func openKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, create bool) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && create {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket) // another client made it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

func openStream(ctx context.Context, js jetstream.JetStream, name string) (jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, StreamConfig(name, 1))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: stream %s: %w", name, err)
	}
	return s, nil
}

// StreamConfig is the events stream veloslet creates: every node's events,
// kept 30 days, a duplicate window of 10 minutes for re-published events.
func StreamConfig(name string, replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: name, Subjects: []string{EventsSubjectPrefix + ".>"},
		Description: "veloslet events, subjects " + EventsSubjectPrefix + ".<node>.<uid>",
		MaxAge:      30 * 24 * time.Hour, Duplicates: 10 * time.Minute, Replicas: replicas, Storage: jetstream.FileStorage}
}
