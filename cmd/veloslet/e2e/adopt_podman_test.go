package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/cmd/veloslet/internal/clitest"
	"github.com/veloslet/veloslet/runtime"
	"github.com/veloslet/veloslet/runtime/podman"
	"github.com/veloslet/veloslet/runtime/podman/podmantest"
	"github.com/veloslet/veloslet/store"
)

// byHand starts a container as an operator (or the earlier Velos worker)
// would: `podman run` with the given labels, none of veloslet's own.
func byHand(t *testing.T, rt *podman.Runtime, name string, labels ...string) runtime.InstanceID {
	t.Helper()
	args := []string{"run", "-d", "--name", name}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	cmd := exec.Command(rt.Binary, append(args, podmantest.Image, "sleep", "100000")...)
	cmd.Env = append(os.Environ(), rt.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("podman run %s by hand: %v: %s", name, err, out)
	}
	return runtime.InstanceID(strings.TrimSpace(string(out)))
}

// setRuntimeConfig rewrites the env's podman config with these [runtime] keys.
func setRuntimeConfig(t *testing.T, e *testEnv, prefix string, extra ...string) {
	t.Helper()
	e.UsePodman(prefix, extra...)
}

func podmanSpec(uid, env string) string {
	return fmt.Sprintf(`{"uid": %q, "image": %q, "command": ["sleep", "100000"], "env": {"V": %q}}`, uid, podmantest.Image, env)
}

// TestAdopt_Podman: containers made by hand as <prefix><uid>, one without
// labels and one with another store's, are foreign (status and events say
// what to run) until adopted; adopted, they are kept, replaced with our
// labels when their spec changes, and removed as orphans when it goes.
func TestAdopt_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	ctx := context.Background()
	webID := byHand(t, rt, rt.Prefix+"web")
	apiID := byHand(t, rt, rt.Prefix+"api", runtime.LabelStore+"=0ldst0re", runtime.LabelUID+"=api")
	e.MustRun(rt.Env, "["+podmanSpec("web", "1")+","+podmanSpec("api", "1")+"]", "apply", "-f", "-")
	e.MustRun(rt.Env, "", "reconcile")
	status := e.MustRun(rt.Env, "", "status")
	if !strings.Contains(status, "run `veloslet adopt web`") || !strings.Contains(status, "run `veloslet adopt api`") {
		t.Fatalf("status says nothing to run for the foreign uids:\n%s", status)
	}
	db := e.OpenDB()
	for uid, hint := range map[string]string{"web": "veloslet adopt web`", "api": "veloslet adopt api --from-store 0ldst0re`"} {
		evs, err := db.FindEvents(ctx, store.EventFilter{UID: uid, Kind: store.EventForeign})
		if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Reason, hint) {
			t.Fatalf("%s foreign events %v (err %v), want one saying %q", uid, evs, err, hint)
		}
	}

	if _, errOut, code := e.Run(rt.Env, "", "adopt", "web", "api"); code != exitUsage || !strings.Contains(errOut, "--from-store 0ldst0re") {
		t.Fatalf("adopt web api: exit %d %q, want 2 naming --from-store 0ldst0re", code, errOut)
	}
	if _, errOut, code := e.Run(rt.Env, "", "adopt", "nospec"); code != exitUsage || !strings.Contains(errOut, "nospec") {
		t.Fatalf("adopt nospec: exit %d %q, want 2 naming the uid", code, errOut)
	}
	out := e.MustRun(rt.Env, "", "adopt", "--all")
	if !strings.Contains(out, "adopted web") || !strings.Contains(out, "skipped api") {
		t.Fatalf("adopt --all printed %q, want web adopted and api skipped", out)
	}
	if out := e.MustRun(rt.Env, "", "adopt", "api", "--from-store", "0ldst0re"); !strings.Contains(out, "adopted api") {
		t.Fatalf("adopt api --from-store printed %q", out)
	}
	e.MustRun(rt.Env, "", "reconcile")
	list, _ := running(t, rt)
	if len(list) != 2 || !sameInstance(list["web"].ID, webID) || !sameInstance(list["api"].ID, apiID) {
		t.Fatalf("after adoption: %v, want the two hand-made containers kept", list)
	}
	for _, uid := range []string{"web", "api"} {
		if st := e.statusOf()[uid]["display_state"]; st != "running" {
			t.Fatalf("%s shows %v after adoption, want running", uid, st)
		}
	}

	// A new spec for web replaces it with an instance of ours; a deleted
	// spec's adopted instance is an orphan of ours.
	e.MustRun(rt.Env, "["+podmanSpec("web", "2")+"]", "apply", "-f", "-")
	e.MustRun(rt.Env, "", "delete", "api")
	e.MustRun(rt.Env, "", "reconcile")
	e.MustRun(rt.Env, "", "reconcile")
	list, _ = running(t, rt)
	if len(list) != 1 || sameInstance(list["web"].ID, webID) || list["web"].StoreID() != db.StoreID() {
		t.Fatalf("after web's change and api's deletion: %v, want only a new web with our store label", list)
	}
}

func sameInstance(a, b runtime.InstanceID) bool {
	n := min(len(a), len(b))
	return n > 0 && a[:n] == b[:n]
}

// TestAdoptUnlabeled_Podman: with runtime.adopt_unlabeled serve's start-up
// pass adopts a label-less <prefix><uid> of a desired uid; one of another
// store stays foreign.
func TestAdoptUnlabeled_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	setRuntimeConfig(t, e, rt.Prefix, "adopt_unlabeled = true")
	webID := byHand(t, rt, rt.Prefix+"web")
	apiID := byHand(t, rt, rt.Prefix+"api", runtime.LabelStore+"=0ldst0re")
	e.MustRun(rt.Env, "["+podmanSpec("web", "1")+","+podmanSpec("api", "1")+"]", "apply", "-f", "-")
	e.Serve(rt.Env...)
	db := e.OpenDB()
	clitest.PollFor(t, clitest.PodmanTimeout, func() error {
		st := e.statusOf()
		if st["web"]["display_state"] != "running" || st["api"]["display_state"] != "foreign" {
			return fmt.Errorf("web %v, api %v: want running and foreign", st["web"]["display_state"], st["api"]["display_state"])
		}
		return nil
	})
	evs, err := db.FindEvents(context.Background(), store.EventFilter{UID: "web", Kind: store.EventAdopted})
	named := false
	for _, ev := range evs {
		named = named || strings.Contains(ev.Reason, "adopt_unlabeled")
	}
	if err != nil || !named {
		t.Fatalf("web adopted events %v (err %v), want one naming adopt_unlabeled", evs, err)
	}
	list, _ := running(t, rt)
	if len(list) != 2 || !sameInstance(list["web"].ID, webID) || !sameInstance(list["api"].ID, apiID) {
		t.Fatalf("instances %v: want the two hand-made ones untouched", list)
	}
}

// TestPrefixChange_Podman: five specs running under one prefix; the config
// moves to another prefix; passes keep the five where they are (no second
// instance for any uid), and a changed spec's replacement takes the new name.
func TestPrefixChange_Podman(t *testing.T) {
	t.Parallel()
	e, rt := podmanEnv(t)
	e.MustRun(rt.Env, clitest.PodmanSpecs(5, podmantest.Image), "apply", "-f", "-")
	e.MustRun(rt.Env, "", "reconcile")
	before, n := running(t, rt)
	if n != 5 {
		t.Fatalf("%d running, want 5", n)
	}
	moved := podmantest.New(t) // a fresh prefix on the same host; cleaned up
	moved.StoreID = e.OpenDB().StoreID()
	setRuntimeConfig(t, e, moved.Prefix)
	e.MustRun(rt.Env, "", "reconcile")
	e.MustRun(rt.Env, "", "reconcile")
	after, n := running(t, moved)
	if n != 5 || len(after) != 5 {
		t.Fatalf("after the prefix change: %d running of %d, want the same 5", n, len(after))
	}
	for uid, in := range before {
		if !sameInstance(after[uid].ID, in.ID) || !after[uid].Renamed {
			t.Errorf("%s: %+v, want instance %s kept under its old name", uid, after[uid], in.ID)
		}
	}
	if all, _ := moved.List(context.Background()); len(all) != 5 {
		t.Fatalf("%d instances of ours on the host, want 5", len(all))
	}
	e.MustRun(rt.Env, `[{"uid": "p00", "image": "`+podmantest.Image+`", "command": ["sleep", "100001"]}]`, "apply", "-f", "-")
	e.MustRun(rt.Env, "", "reconcile")
	after, _ = running(t, moved)
	if p := after["p00"]; p.Renamed || sameInstance(p.ID, before["p00"].ID) || p.Name != moved.Prefix+"p00" {
		t.Fatalf("p00 after its change: %+v, want a new instance named %sp00", p, moved.Prefix)
	}
	if len(after) != 5 {
		t.Fatalf("%d instances, want 5", len(after))
	}
}
