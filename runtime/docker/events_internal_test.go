package docker

import (
	"strings"
	"testing"

	"github.com/moby/moby/api/types/events"

	"github.com/veloslet/veloslet/runtime"
)

// TestEvent reads messages as Docker and podman's service send them.
func TestEvent(t *testing.T) {
	r := &Runtime{Prefix: "velos-", StoreID: "s1"}
	msg := func(action events.Action, attrs map[string]string) events.Message {
		return events.Message{Type: events.ContainerEventType, Action: action, Actor: events.Actor{ID: "abc", Attributes: attrs}}
	}
	code := func(n int) *int { return &n }
	for _, tc := range []struct {
		name string
		m    events.Message
		want *runtime.Event
	}{
		{"docker die", msg("die", map[string]string{"name": "velos-a", "exitCode": "137"}), &runtime.Event{Kind: runtime.EventDied, UID: "a", ExitCode: code(137)}},
		{"podman die", msg("die", map[string]string{"name": "velos-a", "containerExitCode": "3", "exitCode": "3"}), &runtime.Event{Kind: runtime.EventDied, UID: "a", ExitCode: code(3)}},
		{"docker destroy", msg("destroy", map[string]string{"name": "velos-a"}), &runtime.Event{Kind: runtime.EventDied, UID: "a"}},
		{"podman remove", msg("remove", map[string]string{"name": "velos-a", "containerExitCode": "0"}), &runtime.Event{Kind: runtime.EventDied, UID: "a"}},
		{"oom", msg("oom", map[string]string{"name": "velos-a"}), &runtime.Event{Kind: runtime.EventDied, UID: "a"}},
		{"renamed, ours by label", msg("die", map[string]string{"name": "other", "velos.store": "s1", "velos.uid": "b", "exitCode": "1"}), &runtime.Event{Kind: runtime.EventDied, UID: "b", ExitCode: code(1)}},
		{"renamed, another store's", msg("die", map[string]string{"name": "other", "velos.store": "s2", "velos.uid": "b"}), nil},
		{"not ours", msg("die", map[string]string{"name": "web"}), nil},
		{"start", msg("start", map[string]string{"name": "velos-a"}), nil},
		{"an image", events.Message{Type: events.ImageEventType, Action: "remove", Actor: events.Actor{Attributes: map[string]string{"name": "velos-a"}}}, nil},
		{"uid longer than a spec's", msg("die", map[string]string{"name": "velos-" + strings.Repeat("u", 49)}), nil},
		{"uid of a spec's longest", msg("die", map[string]string{"name": "velos-" + strings.Repeat("u", 48)}), &runtime.Event{Kind: runtime.EventDied, UID: strings.Repeat("u", 48)}},
		{"renamed, label uid longer than a spec's", msg("die", map[string]string{"name": "other", "velos.store": "s1", "velos.uid": strings.Repeat("u", 49)}), nil},
		{"unreadable code", msg("die", map[string]string{"name": "velos-a", "exitCode": "x"}), &runtime.Event{Kind: runtime.EventDied, UID: "a"}},
	} {
		got, ok := r.event(tc.m)
		if (tc.want == nil) != !ok {
			t.Errorf("%s: ok=%v, want %v", tc.name, ok, tc.want != nil)
			continue
		}
		if tc.want == nil {
			continue
		}
		if got.Kind != tc.want.Kind || got.UID != tc.want.UID || (got.ExitCode == nil) != (tc.want.ExitCode == nil) ||
			(got.ExitCode != nil && *got.ExitCode != *tc.want.ExitCode) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, *tc.want)
		}
	}
}

func TestCandidatesAndCheckHost(t *testing.T) {
	mac := Candidates("darwin", "/Users/me", "")
	for _, want := range []string{DefaultHost, "unix:///Users/me/.docker/run/docker.sock", "unix:///Users/me/.orbstack/run/docker.sock",
		"unix:///Users/me/.colima/default/docker.sock"} {
		found := false
		for _, c := range mac {
			found = found || c == want
		}
		if !found {
			t.Errorf("darwin candidates %v lack %s", mac, want)
		}
	}
	if l := Candidates("linux", "/root", "/run/user/0"); len(l) != 2 || l[0] != DefaultHost || l[1] != "unix:///run/user/0/docker.sock" {
		t.Errorf("linux candidates %v", l)
	}
	for host, ok := range map[string]bool{"unix:///var/run/docker.sock": true, "tcp://10.0.0.1:2376": true,
		"ssh://me@box": false, "/var/run/docker.sock": false, "unix://": false} {
		if err := CheckHost(host); (err == nil) != ok {
			t.Errorf("CheckHost(%q) = %v, want ok=%v", host, err, ok)
		}
	}
}
