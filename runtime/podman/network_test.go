package podman_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
)

// TestNetworks_Podman: on real podman, EnsureNetwork creates a labelled
// network once (a second call and a concurrent create are no error),
// Networks finds it by label, a container on it resolves another by its
// alias (podman's DNS: dnsname under CNI, aardvark under netavark),
// RemoveNetwork refuses while a container is attached and forgives a
// network already gone.
func TestNetworks_Podman(t *testing.T) {
	rt := podmantest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(rt.Prefix, "-") + "_default"
	labels := map[string]string{runtime.LabelStore: rt.Prefix, "com.docker.compose.project": "t"}
	t.Cleanup(func() { _ = rt.RemoveNetwork(context.Background(), name) })
	for range 2 {
		if err := rt.EnsureNetwork(ctx, name, labels); err != nil {
			t.Fatal(err)
		}
	}
	got, err := rt.Networks(ctx, runtime.LabelStore, rt.Prefix)
	if err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Networks = %v, %v", got, err)
	}
	podmanCmd := func(args ...string) *exec.Cmd {
		c := exec.CommandContext(ctx, "podman", args...)
		c.Env = rt.Environ()
		return c
	}
	web := rt.Prefix + "web"
	if out, err := podmanCmd("run", "-d", "--name", web, "--network", name, "--network-alias", "web",
		podmantest.Image, "busybox", "httpd", "-f", "-p", "8080", "-h", "/etc").CombinedOutput(); err != nil {
		t.Fatalf("run web: %v %s", err, out)
	}
	var page []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		page, err = podmanCmd("run", "--rm", "--network", name, podmantest.Image, "busybox", "wget", "-q", "-O-", "http://web:8080/hostname").CombinedOutput()
		if err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond) // httpd listening: a poll with a deadline
	}
	if err != nil || len(strings.TrimSpace(string(page))) == 0 {
		t.Fatalf("fetch http://web:8080/ by alias: %v %s", err, page)
	}
	if err := rt.RemoveNetwork(ctx, name); !errors.Is(err, runtime.ErrNetworkInUse) {
		t.Fatalf("remove while attached: %v", err)
	}
	if err := rt.Remove(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rt.RemoveNetwork(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNetworks_PodmanConcurrentEnsure: launches of one project's services
// ensure its network at the same time; every call must succeed.
func TestNetworks_PodmanConcurrentEnsure(t *testing.T) {
	rt := podmantest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := strings.TrimSuffix(rt.Prefix, "-") + "_race"
	t.Cleanup(func() { _ = rt.RemoveNetwork(context.Background(), name) })
	errs := make(chan error, 6)
	start := make(chan struct{})
	for range cap(errs) {
		go func() {
			<-start
			errs <- rt.EnsureNetwork(ctx, name, map[string]string{runtime.LabelStore: rt.Prefix})
		}()
	}
	close(start)
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("concurrent EnsureNetwork: %v", err)
		}
	}
	if got, err := rt.Networks(ctx, runtime.LabelStore, rt.Prefix); err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("Networks = %v, %v; want one %s", got, err, name)
	}
}
