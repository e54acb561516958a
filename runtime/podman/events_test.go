package podman_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/store/storetest"
	"github.com/veloslet/veloslet/supervisor"
)

// fakePodman answers ps and version, and for events records its arguments,
// prints a 2 MiB line on its first run only, then a died event of ours, then
// keeps running as `podman events` does. A later run replays the died event,
// as `--since` makes podman do.
const fakePodman = `#!/bin/sh
dir=$(dirname "$0")
case "$1" in
version) echo '{"Client":{"Version":"4.3.1"}}' ;;
ps) echo '[]' ;;
events)
	echo "$@" >> "$dir/events-args"
	if [ ! -e "$dir/long-sent" ]; then
		: > "$dir/long-sent"
		head -c 2097152 /dev/zero | tr '\0' x
		echo
	fi
	echo '{"ContainerExitCode":3,"ID":"abc","Name":"velos-e1","Status":"died","Type":"container","Attributes":{"velos.uid":"e1","velos.store":"store1"}}'
	exec sleep 3600
	;;
esac
`

// syncLog is a log buffer safe for concurrent writes and reads.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tee passes a watcher's events on and keeps a copy.
type tee struct {
	w   runtime.Watcher
	got chan runtime.Event
}

func (t tee) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	inner := make(chan runtime.Event)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case ev := <-inner:
				select {
				case t.got <- ev:
				default:
				}
				select {
				case ch <- ev:
				case <-ctx.Done():
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return t.w.Watch(ctx, inner)
}

// TestWatch_OverlongLineRestarts: a 2 MiB event line ends the scan; the
// watch kills podman and fails, the scheduler logs the restart, and the died
// event that follows is delivered by the restarted watch. The watch asks
// podman only for deaths of this store's containers.
func TestWatch_OverlongLineRestarts(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "podman")
	if err := os.WriteFile(bin, []byte(fakePodman), 0o700); err != nil {
		t.Fatal(err)
	}
	rt := podman.New(bin)
	rt.StoreID = "store1"
	db := storetest.MustOpenDB(t)
	sup := supervisor.New(db, rt)
	logs := &syncLog{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	sup.Logger = log
	sc := supervisor.NewScheduler(sup)
	sc.Logger, sc.Schedule = log, "@every 1h"
	got := make(chan runtime.Event, 8)
	sc.Watcher = tee{w: rt, got: got}
	if err := sc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = sc.Stop(ctx)
	})
	select {
	case ev := <-got:
		if ev.UID != "e1" || ev.Kind != runtime.EventDied || ev.ExitCode == nil || *ev.ExitCode != 3 {
			t.Fatalf("event %+v, want e1 died with 3", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no event delivered; log:\n%s", logs.String())
	}
	if l := logs.String(); !strings.Contains(l, "runtime event stream ended; restarting") || !strings.Contains(l, "token too long") {
		t.Fatalf("restart not logged with its cause:\n%s", l)
	}
	args, err := os.ReadFile(filepath.Join(dir, "events-args"))
	if err != nil {
		t.Fatal(err)
	}
	if runs := strings.Count(string(args), "\n"); runs < 2 || !strings.Contains(string(args), "--filter label=velos.store=store1") {
		t.Fatalf("events runs %d with args %q: want a restart, filtered to this store", runs, args)
	}
}
