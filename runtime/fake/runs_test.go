package fake_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/fake"
	"github.com/veloslet/veloslet/spec"
)

// TestLastRun_RecordsEveryField: the fake keeps the whole RunSpec it
// launched, each launch field as given, after the container is gone too;
// what LastRun returns is a copy.
func TestLastRun_RecordsEveryField(t *testing.T) {
	ctx := context.Background()
	rt := fake.New()
	c := spec.Container{Image: "busybox", Command: []string{"httpd"}, Env: map[string]string{"A": "1"},
		CPUs: 1, Memory: 1 << 20, Labels: map[string]string{"k": "v"}, Entrypoint: []string{"/bin/sh", "-c"},
		Workdir: "/srv", User: "1000:1000",
		Ports:   []spec.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Proto: "tcp"}},
		Volumes: []spec.Volume{{Source: "data", Target: "/data", Kind: spec.VolumeNamed}},
		Tmpfs:   []string{"/run"}, Network: "n", NetworkAliases: []string{"db"}, StopSignal: "SIGQUIT",
		StopTimeout: spec.Duration(5 * time.Second), Init: true, ReadOnly: true, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"}, LogMaxSize: 1 << 20}
	// Every field is set, so a field the fake dropped would show.
	for i, v := 0, reflect.ValueOf(c); i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("the test leaves %s unset", v.Type().Field(i).Name)
		}
	}
	want := runtime.RunSpec{UID: "web", Container: c, Generation: 3, SpecHash: "h", StoreID: "s"}
	if _, ok := rt.LastRun("web"); ok {
		t.Fatal("LastRun before any run")
	}
	if _, err := rt.Run(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := rt.Remove(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	got, ok := rt.LastRun("web")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("LastRun = %+v, %v; want %+v", got, ok, want)
	}
	got.Ports[0].HostPort, got.Env["A"] = 1, "2"
	if again, _ := rt.LastRun("web"); !reflect.DeepEqual(again, want) {
		t.Fatalf("changing LastRun's result changed the record: %+v", again)
	}
	// A refused run is not recorded.
	bad := want
	bad.UID, bad.Container.Workdir = "bad", "-w"
	if _, err := rt.Run(ctx, bad); !errors.Is(err, runtime.ErrInvalid) {
		t.Fatalf("Run with workdir -w = %v", err)
	}
	if _, ok := rt.LastRun("bad"); ok {
		t.Fatal("a refused run was recorded")
	}
}
