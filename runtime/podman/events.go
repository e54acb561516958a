package podman

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// eventLine is one line of `podman events --format json`.
type eventLine struct {
	ContainerExitCode *int              `json:"ContainerExitCode"`
	ID                string            `json:"ID"`
	Name              string            `json:"Name"`
	Status            string            `json:"Status"`
	Attributes        map[string]string `json:"Attributes"`
}

// ParseEvent reads one event line; ok is false for lines that are not a
// death of one of our containers.
func ParseEvent(line []byte, prefix string) (ev runtime.Event, ok bool, err error) {
	var e eventLine
	if err := json.Unmarshal(line, &e); err != nil {
		return runtime.Event{}, false, fmt.Errorf("parse podman event: %w (line starts %q)", err, head(line))
	}
	uid, ours := runtime.UIDFromName(prefix, e.Name)
	if e.Status != "died" || !ours {
		return runtime.Event{}, false, nil
	}
	return runtime.Event{Kind: runtime.EventDied, UID: uid, ExitCode: e.ContainerExitCode}, true, nil
}

// Watch streams `podman events` for deaths and sends ours to ch until ctx
// ends or the stream does; the scheduler restarts it. Lines it cannot read
// are skipped: the cron pass covers what they would have said.
func (r *Runtime) Watch(ctx context.Context, ch chan<- runtime.Event) error {
	cmd := exec.CommandContext(ctx, r.Binary, "events", "--format", "json", "--filter", "event=died",
		"--since", time.Now().Add(-time.Second).Format(time.RFC3339))
	if len(r.Env) > 0 {
		cmd.Env = append(cmd.Environ(), r.Env...)
	}
	cmd.WaitDelay = time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("podman events: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		ev, ok, err := ParseEvent(sc.Bytes(), r.Prefix)
		if err != nil || !ok {
			continue
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("podman events: %w", err)
	}
	return fmt.Errorf("podman events ended: %v", werr)
}
