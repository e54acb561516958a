package spec_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/veloslet/veloslet/spec"
)

// full returns a valid spec that sets every field of Container to a value
// other than its zero (and other than base's): the tests below walk the
// fields with reflection, and fail for a field full leaves unset, so a new
// field must be given a sample here.
func full() spec.Spec {
	return spec.Spec{UID: "full", Restart: spec.RestartOnFailure, RestartMaxAttempts: 3, DesiredState: spec.DesiredStopped,
		Container: spec.Container{
			Image:          "busybox:1.36",
			Command:        []string{"httpd", "-f"},
			Env:            map[string]string{"PORT": "8080"},
			CPUs:           0.5,
			Memory:         64 << 20,
			Labels:         map[string]string{"team": "web"},
			Entrypoint:     []string{"/bin/sh", "-c"},
			Workdir:        "/srv",
			User:           "1000:1000",
			Ports:          []spec.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"}, {HostPort: 5353, ContainerPort: 53, Proto: "udp"}},
			Volumes:        []spec.Volume{{Source: "webdata", Target: "/data", Kind: spec.VolumeNamed}, {Source: "/srv/site", Target: "/www", ReadOnly: true, Kind: spec.VolumeBind}},
			Tmpfs:          []string{"/run"},
			Network:        "backend",
			NetworkAliases: []string{"db"},
			StopSignal:     "SIGQUIT",
			StopTimeout:    spec.Duration(10 * time.Second),
			Init:           true,
			ReadOnly:       true,
			CapAdd:         []string{"NET_ADMIN"},
			CapDrop:        []string{"ALL"},
			LogMaxSize:     1 << 20,
		}}
}

// base is the smallest valid spec.
func base() spec.Spec {
	return spec.Spec{UID: "full", Restart: spec.RestartAlways, DesiredState: spec.DesiredRunning, Container: spec.Container{Image: "alpine:3.20"}}
}

// containerFields lists Container's fields with their key.
func containerFields(t *testing.T) []reflect.StructField {
	t.Helper()
	typ := reflect.TypeOf(spec.Container{})
	out := make([]reflect.StructField, typ.NumField())
	for i := range out {
		out[i] = typ.Field(i)
	}
	return out
}

// withField returns base with field i of Container set as in full.
func withField(i int) spec.Spec {
	s, f := base(), full()
	reflect.ValueOf(&s.Container).Elem().Field(i).Set(reflect.ValueOf(f.Container).Field(i))
	return s
}

func key(f reflect.StructField) string {
	k := f.Tag.Get("json")
	for i := range k {
		if k[i] == ',' {
			return k[:i]
		}
	}
	return k
}

func TestFull_SetsEveryFieldValidly(t *testing.T) {
	f, b := full(), base()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	fv, bv := reflect.ValueOf(f.Container), reflect.ValueOf(b.Container)
	for i, field := range containerFields(t) {
		if fv.Field(i).IsZero() || reflect.DeepEqual(fv.Field(i).Interface(), bv.Field(i).Interface()) {
			t.Errorf("full() leaves %s (%s) as base has it: give it a sample value", field.Name, key(field))
		}
		if s := withField(i); s.Validate() != nil && key(field) != "network_aliases" {
			t.Errorf("base with only %s set does not validate: %v", key(field), s.Validate())
		}
		if key(field) != field.Tag.Get("toml") {
			t.Errorf("%s: json key %q and toml key %q differ", field.Name, key(field), field.Tag.Get("toml"))
		}
	}
}
