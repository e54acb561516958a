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
	return opts
}

// Connect opens a connection for a one-off command: it fails when no
// server answers.
func Connect(c Config, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(strings.Join(c.URLs, ","), append(c.dialOptions(name), nats.MaxReconnects(2))...)
	if err != nil {
		return nil, fmt.Errorf("fleet: connect to %s: %w", strings.Join(c.URLs, ", "), err)
	}
	return nc, nil
}

// buckets are the handles a node and the commands use.
type buckets struct {
	js     jetstream.JetStream
	specs  jetstream.KeyValue
	status jetstream.KeyValue
	stream jetstream.Stream
}

// openBuckets finds the buckets and stream, creating with one replica those
// that do not exist (an operator makes replicated ones beforehand: docs/fleet.md).
func openBuckets(ctx context.Context, js jetstream.JetStream, c Config) (*buckets, error) {
	b := &buckets{js: js}
	var err error
	if b.specs, err = openKV(ctx, js, jetstream.KeyValueConfig{Bucket: c.SpecsBucket, History: 5,
		Description: "veloslet desired specs, keys <node>.<uid>"}); err != nil {
		return nil, err
	}
	if b.status, err = openKV(ctx, js, jetstream.KeyValueConfig{Bucket: c.StatusBucket, History: 1,
		Description: "veloslet status, keys <node>.<uid> and <node>"}); err != nil {
		return nil, err
	}
	if b.stream, err = openStream(ctx, js, c.EventsStream); err != nil {
		return nil, err
	}
	return b, nil
}

func openKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket) // another node made it first
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
