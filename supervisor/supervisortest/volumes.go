package supervisortest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/runtimetest"
	"github.com/veloslet/veloslet/spec"
	"github.com/veloslet/veloslet/store"
)

// serviceScript counts its boots in /data (the image's volume) and /named
// (a named volume), serves the count over HTTP on 8080 and prints it, then
// waits for the harness's Exit.
const serviceScript = `for d in /data /named; do n=$(cat $d/boots 2>/dev/null || echo 0); echo $((n+1)) > $d/boots; done
b="boots=$(cat /data/boots),$(cat /named/boots)"
busybox mkdir -p /tmp/www && echo "$b" > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www
echo "$b"
[ -e /tmp/exit ] || busybox mkfifo /tmp/exit; read code < /tmp/exit; exit "$code"`

// 12. A service's data lives through the pass's every move and goes with
// its spec: boots 1, 2 after its process dies (relaunch), 3 after a port
// change (a replacement: the new port answers, the old one no longer
// does); deleting the spec removes the instance and the volume kept for
// the image's declared path, never the spec's named volume.
func testVolumesFollowSpec(t *testing.T, e *env) {
	f := e.h.Fields
	if f == nil || f.VolumeImage == "" {
		t.Skip("no Fields harness with an image declaring a volume")
	}
	named := "vt" + runtimetest.NewStoreID()[:8] + "-named"
	t.Cleanup(func() { f.RemoveVolume(t, named) })
	s := store.Spec{UID: "svc", Container: spec.Container{Image: f.VolumeImage, Command: []string{"sh", "-c", serviceScript},
		Volumes: []spec.Volume{{Source: named, Target: "/named", Kind: spec.VolumeNamed}}}}
	ports := f.Network != ""
	if ports {
		s.Network = f.Network
		s.Ports = []spec.Port{{HostIP: "127.0.0.1", HostPort: runtimetest.FreePort(t), ContainerPort: 8080, Proto: "tcp"}}
	}
	boots := func(n int) {
		t.Helper()
		want := fmt.Sprintf("boots=%d,%d", n, n)
		e.h.WaitOutput(t, e.h.WaitState(t, "svc", runtime.StateRunning).ID, want)
		if ports {
			e.h.WaitHTTP(t, s.Ports[0].HostPort, want+"\n")
		}
	}
	e.apply(s)
	e.pass()
	boots(1)
	ours := runtime.ImageVolumeName(strings.TrimSuffix(e.list()["svc"].Name, "svc"), "svc", "/data")

	e.exit("svc", 137)
	if evs := e.pass(); !has(evs, "svc", store.EventRelaunched) {
		t.Fatalf("events=%v, want svc relaunched", kinds(evs, ""))
	}
	boots(2)

	old := s
	if ports {
		s.Ports = []spec.Port{{HostIP: "127.0.0.1", HostPort: runtimetest.FreePort(t), ContainerPort: 8080, Proto: "tcp"}}
	} else {
		s.Env = map[string]string{"VERSION": "2"}
	}
	e.apply(s)
	if evs := e.pass(); !has(evs, "svc", store.EventReplaced) {
		t.Fatalf("events=%v, want svc replaced", kinds(evs, ""))
	}
	boots(3)
	if ports {
		if _, err := runtimetest.Get(old.Ports[0].HostPort); err == nil {
			t.Fatalf("old port %d still answers after the replacement", old.Ports[0].HostPort)
		}
	}

	if err := e.db.DeleteSpecs(context.Background(), "svc"); err != nil {
		t.Fatal(err)
	}
	if evs := e.pass(); !has(evs, "svc", store.EventRemovedOrphan) {
		t.Fatalf("events=%v, want svc removed_orphan", kinds(evs, ""))
	}
	e.h.WaitState(t, "svc", "")
	if f.VolumeExists(t, ours) {
		t.Errorf("volume %s left after the spec was deleted", ours)
	}
	if !f.VolumeExists(t, named) {
		t.Errorf("named volume %s removed with the spec: it is the user's", named)
	}
}
