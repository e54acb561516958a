package podman

import (
	"slices"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	vspec "github.com/veloslet/veloslet/spec"
)

// Every spec field becomes one "--flag=value" argument before "--" and the
// image; the grace is the spec's, else the backend's.
func TestRunArgs_SpecFields(t *testing.T) {
	s := runtime.RunSpec{UID: "web", Container: vspec.Container{
		Image: "img", Command: []string{"-x", "y"},
		Entrypoint: []string{"/bin/sh", "-c"}, Workdir: "/srv", User: "1000:1000",
		Ports: []vspec.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
			{HostIP: "::1", HostPort: 53, ContainerPort: 53, Proto: "udp"}},
		Volumes: []vspec.Volume{{Source: "data", Target: "/data", Kind: vspec.VolumeNamed},
			{Source: "/srv/site", Target: "/www", ReadOnly: true, Kind: vspec.VolumeBind}},
		Tmpfs: []string{"/run"}, Network: "net1", NetworkAliases: []string{"db", "pg"},
		StopSignal: "SIGINT", StopTimeout: vspec.Duration(30 * time.Second),
		Init: true, ReadOnly: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"},
	}}
	got := runArgs("velos-web", s, runOptions{stop: 5 * time.Second, imageVolumes: []imageVolume{{"velos-web-0123456789ab", "/var/lib"}}})
	want := []string{
		`--entrypoint=["/bin/sh","-c"]`, "--workdir=/srv", "--user=1000:1000",
		"--publish=127.0.0.1:8080:80/tcp", "--publish=[::1]:53:53/udp",
		"--volume=data:/data", "--volume=/srv/site:/www:ro", "--volume=velos-web-0123456789ab:/var/lib",
		"--tmpfs=/run", "--network=net1", "--network-alias=db", "--network-alias=pg",
		"--stop-signal=SIGINT", "--stop-timeout=30", "--init", "--read-only",
		"--cap-add=NET_ADMIN", "--cap-drop=ALL",
		"--", "img", "-x", "y",
	}
	if tail := got[len(got)-len(want):]; !slices.Equal(tail, want) {
		t.Fatalf("runArgs tail:\n got %q\nwant %q", tail, want)
	}

	// Nothing set: only the backend's grace, so stop and rm use it.
	got = runArgs("velos-web", runtime.RunSpec{UID: "web", Container: vspec.Container{Image: "img"}}, runOptions{stop: 5 * time.Second})
	if want := []string{"--stop-timeout=5", "--", "img"}; !slices.Equal(got[len(got)-3:], want) {
		t.Fatalf("runArgs of a bare spec ends %q, want %q", got[len(got)-3:], want)
	}
}
