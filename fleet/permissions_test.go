package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/veloslet/veloslet/fleet"
)

// userKey makes an nkey user: its public key, and the path of a file
// holding its seed.
func userKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	path := filepath.Join(dir, name+".nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return pub, path
}

// TestPermissions_ExampleConfig (issue 30, point 11): the server runs
// docs/examples/fleet-nats.conf as docs/fleet.md shows it. Each node's
// permissions are enough for a node (it mirrors, reports and publishes
// without one refusal) and no more: node mini-1 cannot write mini-2's status
// keys or events, nor any specs key, nor read mini-2's replies.
func TestPermissions_ExampleConfig(t *testing.T) {
	dir := t.TempDir()
	text, err := os.ReadFile("../docs/examples/fleet-nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string]string{}
	conf := string(text)
	for _, who := range []string{"OPERATOR", "MINI_1", "MINI_2"} {
		pub, seed := userKey(t, dir, who)
		seeds[who] = seed
		if !strings.Contains(conf, "NKEY_"+who) {
			t.Fatalf("the example names no NKEY_%s", who)
		}
		conf = strings.ReplaceAll(conf, "NKEY_"+who, pub)
	}
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	opts.Host, opts.Port, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", freePort(t), t.TempDir(), true, true
	s := startServer(t, opts)
	url := s.ClientURL()

	ctx := context.Background()
	operator := func() *fleet.Client { // the fleet verbs, one client per command
		c, err := fleet.Dial(ctx, fleet.Config{URLs: []string{url}, NKey: seeds["OPERATOR"], SpecsBucket: fleet.DefaultSpecsBucket,
			StatusBucket: fleet.DefaultStatusBucket, EventsStream: fleet.DefaultEventsStream})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	c := operator()
	mustApply(t, c, "mini-1", specs("web", "api")...)
	mustApply(t, c, "mini-2", specs("web")...)
	logs := map[string]*recordLog{}
	nodes := map[string]*testNode{}
	for name, seed := range map[string]string{"mini-1": seeds["MINI_1"], "mini-2": seeds["MINI_2"]} {
		logs[name] = &recordLog{}
		nodes[name] = newTestNode(t, name, []string{url}, nkeyFile(seed), testLogger{slog.New(logs[name])})
	}
	a, b := nodes["mini-1"], nodes["mini-2"]
	a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 1, "api": 1}))
	b.converge(t, waitLong, b.wantRunning(t, map[string]int64{"web": 1}))
	a.converge(t, waitLong, sameEvents(t, c, a))
	b.converge(t, waitLong, sameEvents(t, c, b))
	// A hold and its end use the rest: the bucket made anew, the nodes read
	// its identity and their confirmation keys.
	deleteSpecsBucketWith(t, c)
	waitHold(t, a, fleet.HoldMissing)
	waitHold(t, b, fleet.HoldMissing)
	c = operator() // makes the bucket anew
	mustApply(t, c, "mini-1", specs("web", "api")...)
	mustApply(t, c, "mini-2", specs("web")...)
	waitHold(t, a, fleet.HoldIdentity)
	waitHold(t, b, fleet.HoldIdentity)
	for _, n := range []*testNode{a, b} {
		if _, err := c.Resync(ctx, n.name); err != nil {
			t.Fatal(err)
		}
		n.converge(t, waitLong, func() error {
			if h := n.node.Held(); h != nil {
				return fmt.Errorf("%s held: %+v", n.name, h)
			}
			return nil
		})
	}
	mustApply(t, c, "mini-1", specs("late")...)
	a.converge(t, waitLong, a.wantRunning(t, map[string]int64{"web": 1, "api": 1, "late": 1}))
	a.converge(t, waitLong, func() error {
		if st := statusOf(t, c, "mini-1"); len(st) != 3 || st["late"].State != "running" {
			return fmt.Errorf("mini-1's status %+v", st)
		}
		return nil
	})
	for name, rec := range logs {
		_, warns := rec.count("")
		for _, w := range warns {
			if strings.Contains(strings.ToLower(w), "permission") {
				t.Errorf("node %s was refused: %q", name, w)
			}
		}
	}

	// mini-1 as a hostile client with its own key.
	violations := make(chan error, 16)
	nc, err := nats.Connect(url, nats.Nkey(mustPub(t, seeds["MINI_1"]), signer(t, seeds["MINI_1"])),
		nats.CustomInboxPrefix(fleet.InboxPrefix("mini-1")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Second) }
	status, err := js.KeyValue(ctx, fleet.DefaultStatusBucket)
	if err != nil {
		t.Fatal(err)
	}
	before := statusOf(t, c, "mini-2")["web"]
	pctx, cancel := short()
	_, err = status.Put(pctx, "mini-2.web", []byte(`{"uid":"web","state":"exited"}`))
	cancel()
	if err == nil {
		t.Error("mini-1 wrote mini-2's status key")
	}
	pctx, cancel = short()
	_, err = status.Put(pctx, "mini-2", []byte(`{"node":"mini-2"}`))
	cancel()
	if err == nil {
		t.Error("mini-1 wrote mini-2's report")
	}
	if after := statusOf(t, c, "mini-2")["web"]; after.State != before.State || after.State != "running" {
		t.Errorf("mini-2's web: %+v, was %+v", after, before)
	}
	specsKV, err := js.KeyValue(ctx, fleet.DefaultSpecsBucket)
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel = short()
	_, err = specsKV.Put(pctx, "mini-1.evil", []byte(`{"uid":"evil","image":"busybox"}`))
	cancel()
	if err == nil {
		t.Error("mini-1 wrote a specs key")
	}
	pctx, cancel = short()
	_, err = js.Publish(pctx, "veloslet.events.mini-2.web", []byte(`{"node":"mini-2","kind":"exited"}`))
	cancel()
	if err == nil {
		t.Error("mini-1 published an event of mini-2")
	}
	if _, err := nc.SubscribeSync(fleet.InboxPrefix("mini-2") + ".>"); err == nil {
		_ = nc.Flush()
	}
	deadline := time.After(5 * time.Second)
	for sawSub := false; !sawSub; {
		select {
		case err := <-violations:
			sawSub = errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), "Subscription to \"_INBOX_mini-2.>\"")
		case <-deadline:
			t.Fatal("mini-1 subscribed to mini-2's inboxes without a permissions violation")
		}
	}
	for _, e := range streamEvents(t, c, "mini-2") {
		if e.Kind == "exited" {
			t.Errorf("mini-2's stream holds mini-1's forged event %+v", e)
		}
	}
}

// deleteSpecsBucketWith deletes the specs bucket over c's connection (the
// operator's user).
func deleteSpecsBucketWith(t *testing.T, c *fleet.Client) {
	t.Helper()
	if err := c.DeleteSpecsBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func mustPub(t *testing.T, seedFile string) string {
	t.Helper()
	kp := keyPair(t, seedFile)
	pub, _ := kp.PublicKey()
	return pub
}

func signer(t *testing.T, seedFile string) nats.SignatureHandler {
	kp := keyPair(t, seedFile)
	return kp.Sign
}

func keyPair(t *testing.T, seedFile string) nkeys.KeyPair {
	t.Helper()
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
