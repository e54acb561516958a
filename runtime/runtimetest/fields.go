package runtimetest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/spec"
)

// Fields lets the contract's spec-field cases run on a backend that runs
// real containers and keeps their output (a runtime.Logger).
type Fields struct {
	// VolumeImage is an image like Image that declares VOLUME /data.
	VolumeImage string
	// Network is a network that publishes ports on the host ("bridge").
	Network string
	// Mounts returns the names of the volumes container id mounts.
	Mounts func(tb testing.TB, id runtime.InstanceID) []string
	// VolumeExists reports whether the runtime has a volume named name.
	VolumeExists func(tb testing.TB, name string) bool
	// RemoveVolume removes a volume the test made, at cleanup.
	RemoveVolume func(tb testing.TB, name string)
}

func (h *Harness) needFields(t *testing.T) (*Fields, runtime.Logger) {
	t.Helper()
	l, ok := h.Runtime.(runtime.Logger)
	if h.Fields == nil || !ok {
		t.Skipf("%T: no Fields harness or no logs", h.Runtime)
	}
	return h.Fields, l
}

// WaitOutput polls id's output until it holds every one of want.
func (h *Harness) WaitOutput(t *testing.T, id runtime.InstanceID, want ...string) string {
	t.Helper()
	_, l := h.needFields(t)
	deadline := time.Now().Add(max(h.Settle, 10*time.Second))
	for {
		var b bytes.Buffer
		err := l.Logs(ctxFor(t), id, runtime.LogOptions{}, &b)
		if err == nil && containsAll(b.String(), want) {
			return b.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("output of %s = %q (err %v), want %q", id, b.String(), err, want)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// fieldsScript prints what the container sees, then waits; SIGUSR1 (the
// spec's stop signal) makes it write to /out and exit.
const fieldsScript = `echo "pwd=$(busybox pwd) uid=$(busybox id -u) bind=$(cat /in/msg)"
busybox touch /rootfile 2>/dev/null && echo rootfs=rw || echo rootfs=ro
busybox grep -q ' /scratch tmpfs ' /proc/mounts && echo tmpfs=yes
trap 'echo stopped-by-usr1 > /out/stopped; exit 0' USR1
echo ready
busybox sleep 100000 & wait $!`

// testFields: entrypoint, workdir, user, a read-only bind, a writable
// bind, tmpfs and a read-only root show in the container's own output,
// and Remove stops it with the spec's stop signal within its grace.
func testFields(t *testing.T, h *Harness) {
	h.needFields(t)
	in, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "msg"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, mode := range map[string]os.FileMode{in: 0o755, out: 0o777} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	s := h.Spec("f1")
	s.Entrypoint = []string{"sh", "-c"}
	s.Command = []string{fieldsScript}
	s.Workdir, s.User = "/in", "1234:1234"
	s.Volumes = []spec.Volume{
		{Source: in, Target: "/in", ReadOnly: true, Kind: spec.VolumeBind},
		{Source: out, Target: "/out", Kind: spec.VolumeBind},
	}
	s.Tmpfs, s.ReadOnly = []string{"/scratch"}, true
	s.StopSignal, s.StopTimeout = "SIGUSR1", spec.Duration(30*time.Second)
	ctx := ctxFor(t)
	id, err := h.Runtime.Run(ctx, s)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), "f1") })
	h.WaitOutput(t, id, "pwd=/in uid=1234 bind=hello", "rootfs=ro", "tmpfs=yes", "ready")
	if err := h.Runtime.Remove(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "stopped"))
	if err != nil || strings.TrimSpace(string(got)) != "stopped-by-usr1" {
		t.Fatalf("after Remove: /out/stopped = %q, %v; want the trap of the spec's stop signal to have run", got, err)
	}
}

// countScript counts its boots in /data (the image's volume) and /named
// (a named volume), prints both, then waits for Exit.
const countScript = `for d in /data /named; do n=$(cat $d/boots 2>/dev/null || echo 0); echo $((n+1)) > $d/boots; done
echo "boots=$(cat /data/boots),$(cat /named/boots)"
[ -e /tmp/exit ] || busybox mkfifo /tmp/exit; read code < /tmp/exit; exit "$code"`

// testVolumesKept: the data in a named volume and in the volume the image
// declares survives a start in place and a replacement; the container
// mounts no anonymous volume; RemoveVolumes removes the image's volume and
// leaves the named one (the user's) alone.
func testVolumesKept(t *testing.T, h *Harness) {
	f, _ := h.needFields(t)
	if f.VolumeImage == "" {
		t.Skip("no image with a declared volume")
	}
	named := "vt" + NewStoreID()[:8] + "-named"
	t.Cleanup(func() { f.RemoveVolume(t, named) })
	s := h.Spec("v1")
	s.Image, s.Command = f.VolumeImage, []string{"sh", "-c", countScript}
	s.Volumes = []spec.Volume{{Source: named, Target: "/named", Kind: spec.VolumeNamed}}
	ctx := ctxFor(t)
	run := func(s runtime.RunSpec) runtime.InstanceID {
		t.Helper()
		id, err := h.Runtime.Run(ctx, s)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		return id
	}
	t.Cleanup(func() {
		if vr, ok := h.Runtime.(runtime.VolumeRemover); ok {
			_ = vr.RemoveVolumes(context.Background(), "v1") // after the Remove below
		}
	})
	t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), "v1") })
	id := run(s)
	h.WaitOutput(t, id, "boots=1,1")
	in := h.WaitState(t, "v1", runtime.StateRunning)
	ours := runtime.ImageVolumeName(strings.TrimSuffix(in.Name, "v1"), "v1", "/data")
	if got, want := sorted(f.Mounts(t, in.ID)), sorted([]string{named, ours}); !slices.Equal(got, want) {
		t.Fatalf("volumes mounted %q, want %q (and no anonymous one)", got, want)
	}

	h.Exit(t, "v1", 3)
	h.WaitState(t, "v1", runtime.StateExited)
	if st, ok := h.Runtime.(runtime.Starter); ok {
		if err := st.Start(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
		h.WaitOutput(t, in.ID, "boots=2,2")
	} else {
		if err := h.Runtime.Remove(ctx, "v1"); err != nil {
			t.Fatal(err)
		}
		h.WaitOutput(t, run(s), "boots=2,2")
	}

	// A replacement: the spec changed, the container is removed and run again.
	if err := h.Runtime.Remove(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	s.Generation, s.Env = s.Generation+1, map[string]string{"CHANGED": "1"}
	h.WaitOutput(t, run(s), "boots=3,3")

	if err := h.Runtime.Remove(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if !f.VolumeExists(t, ours) {
		t.Fatalf("volume %s gone after Remove: the image's data must outlive its containers", ours)
	}
	vr, ok := h.Runtime.(runtime.VolumeRemover)
	if !ok {
		t.Fatalf("%T keeps image volumes but is no runtime.VolumeRemover", h.Runtime)
	}
	if err := vr.RemoveVolumes(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if f.VolumeExists(t, ours) {
		t.Errorf("volume %s left after RemoveVolumes", ours)
	}
	if !f.VolumeExists(t, named) {
		t.Errorf("named volume %s removed: a spec's named volume is the user's", named)
	}
	if err := vr.RemoveVolumes(ctx, "v1"); err != nil {
		t.Errorf("RemoveVolumes with none left: %v", err)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// testInitCaps: init runs the command under an init process (the shell is
// not PID 1) and the capabilities are exactly the ones added after
// dropping all: NET_ADMIN, bit 12.
func testInitCaps(t *testing.T, h *Harness) {
	h.needFields(t)
	s := h.Spec("i1")
	s.Command = []string{"sh", "-c", `echo "pid=$$ $(busybox grep CapEff /proc/self/status)"; busybox sleep 100000`}
	s.Init, s.CapAdd, s.CapDrop = true, []string{"NET_ADMIN"}, []string{"ALL"}
	id, err := h.Runtime.Run(ctxFor(t), s)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() { _ = h.Runtime.Remove(context.Background(), "i1") })
	out := h.WaitOutput(t, id, "CapEff:")
	if strings.Contains(out, "pid=1 ") || !strings.Contains(out, "CapEff:\t0000000000001000") {
		t.Fatalf("output %q: want the shell under an init (pid not 1) with only NET_ADMIN (CapEff 0000000000001000)", out)
	}
}
