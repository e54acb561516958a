package podman

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/veloslet/veloslet/runtime"
)

// eventLine is one line of `podman events --format json`. Its time is
// "Time", an RFC 3339 string, up to podman 4.5 or so, and "time" (unix
// seconds) with "timeNano" after; json matches "time" to the Time field
// too, so Time is kept raw and read by at.
type eventLine struct {
	ContainerExitCode *int              `json:"ContainerExitCode"`
	ID                string            `json:"ID"`
	Name              string            `json:"Name"`
	Status            string            `json:"Status"`
	Attributes        map[string]string `json:"Attributes"`
	Time              json.RawMessage   `json:"Time"`
	TimeNano          int64             `json:"timeNano"`
}

// at is when podman wrote the event; zero when the line does not say.
func (e eventLine) at() time.Time {
	if e.TimeNano > 0 {
		return time.Unix(0, e.TimeNano).UTC()
	}
	var text string
	if json.Unmarshal(e.Time, &text) == nil {
		t, _ := time.Parse(time.RFC3339Nano, text)
		return t.UTC()
	}
	var secs int64
	if json.Unmarshal(e.Time, &secs) == nil && secs > 0 {
		return time.Unix(secs, 0).UTC()
	}
	return time.Time{}
}

// ParseEvent reads one event line; ok is false for lines that are not a
// death of one of our containers. The event carries the container's labels
// (its Attributes) and exit code, so it also says what a look at the dead
// container would: ev.Instance.
func ParseEvent(line []byte, prefix string) (ev runtime.Event, ok bool, err error) {
	var e eventLine
	if err := json.Unmarshal(line, &e); err != nil {
		return runtime.Event{}, false, fmt.Errorf("parse podman event: %w (line starts %q)", err, head(line))
	}
	uid, ours := runtime.UIDFromName(prefix, e.Name)
	if e.Status != "died" || !ours {
		return runtime.Event{}, false, nil
	}
	ev = runtime.Event{Kind: runtime.EventDied, UID: uid, ExitCode: e.ContainerExitCode, At: e.at()}
	if e.ID != "" && runtime.InstanceID(e.ID).Check() == nil {
		ev.Instance = &runtime.Instance{UID: uid, ID: runtime.InstanceID(e.ID), Name: e.Name,
			State: runtime.StateExited, ExitCode: e.ContainerExitCode, Labels: e.Attributes}
	}
	return ev, true, nil
}

// Vouch keeps ev.Instance only for an event a pass may plan from without a
// look: one written after the stream started (--since replays up to two
// seconds before it, deaths a pass may have handled already) by a podman on
// this host (its time is then by the clock of the records it is held
// against).
func Vouch(ev *runtime.Event, local bool, started time.Time) {
	if !local || ev.At.Before(started) {
		ev.Instance = nil
	}
}

// MaxEventLine is the longest event line Watch reads; a died event is a few
// hundred bytes plus the container's labels.
const MaxEventLine = 1 << 20

// Watch streams `podman events` for deaths and sends ours to ch until ctx
// ends or the stream does; the scheduler restarts it. With StoreID set, only
// containers labelled with this store are watched (podman ANDs the filters),
// so deaths elsewhere on the host cost nothing. Lines it cannot parse are
// skipped: the cron pass covers what they would have said. A line it cannot
// read (longer than MaxEventLine) ends the scan: the podman process is then
// killed and the error returned, so the stream is restarted (with --since
// covering the gap) instead of stalling with podman still running.
func (r *Runtime) Watch(parent context.Context, ch chan<- runtime.Event) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	args := []string{"events", "--format", "json", "--filter", "event=died"}
	if r.StoreID != "" {
		args = append(args, "--filter", "label="+runtime.LabelStore+"="+r.StoreID)
	}
	started, local := time.Now(), r.Local(ctx)
	args = append(args, "--since", started.Add(-time.Second).Format(time.RFC3339))
	cmd := exec.CommandContext(ctx, r.Binary, args...)
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
	sc.Buffer(make([]byte, 64<<10), MaxEventLine)
	for sc.Scan() {
		ev, ok, err := ParseEvent(sc.Bytes(), r.Prefix)
		if err != nil || !ok {
			continue
		}
		Vouch(&ev, local, started)
		select {
		case ch <- ev:
		case <-ctx.Done():
		}
	}
	scanErr := sc.Err()
	cancel() // podman may still be running after a failed scan: end it, or Wait never returns
	werr := cmd.Wait()
	if parent.Err() != nil {
		return parent.Err()
	}
	if errors.Is(scanErr, bufio.ErrTooLong) {
		return fmt.Errorf("podman events: a line exceeds %d bytes: %w (podman stopped)", MaxEventLine, scanErr)
	}
	if scanErr != nil {
		return fmt.Errorf("podman events: read: %w (podman stopped)", scanErr)
	}
	return fmt.Errorf("podman events ended: %v", werr)
}
