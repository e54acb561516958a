package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

const corpus = "../../spec/compose/testdata/corpus"

// composeArgs is -f for the folder's compose.yaml and its override.
func composeArgs(t *testing.T, dir string) []string {
	args := []string{"-f", filepath.Join(dir, "compose.yaml")}
	if _, err := os.Stat(filepath.Join(dir, "compose.override.yaml")); err == nil {
		args = append(args, "-f", filepath.Join(dir, "compose.override.yaml"))
	}
	return args
}

// TestApplyCompose_DryRunCorpus: `apply --dry-run --json` of every corpus
// project prints its expected.json (the importer's own test compares the
// same file), or exits 2 with its expected.err; nothing is written.
func TestApplyCompose_DryRunCorpus(t *testing.T) {
	t.Setenv("FROM_SHELL", "shell-value")
	t.Setenv("COMPOSE_PROFILES", "")
	e := newBareTestEnv(t, "")
	dirs, _ := filepath.Glob(filepath.Join(corpus, "*"))
	if len(dirs) < 10 {
		t.Fatalf("corpus has %d projects", len(dirs))
	}
	for _, dir := range dirs {
		abs, _ := filepath.Abs(dir)
		out, errOut, code := e.run("", append(composeArgs(t, dir), "apply", "--dry-run", "--json")...)
		out = strings.ReplaceAll(out, abs, "@DIR@")
		if want, err := os.ReadFile(filepath.Join(dir, "expected.err")); err == nil {
			if code != 2 || !strings.Contains(strings.ReplaceAll(errOut, abs, "@DIR@"), strings.TrimSpace(string(want))) {
				t.Errorf("%s: exit %d, %s; want exit 2 and %s", dir, code, errOut, want)
			}
			continue
		}
		want, err := os.ReadFile(filepath.Join(dir, "expected.json"))
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d %s\n got:\n%s\nwant:\n%s", dir, code, errOut, out, want)
		}
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Errorf("--dry-run created the database: %v", err)
	}
}

func outcomes(out string) map[string]string {
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		uid, rest, _ := strings.Cut(line, " ")
		got[uid] = rest
	}
	return got
}

// TestApplyCompose_RoundTrip: a project applied and re-applied unchanged is
// unchanged for every uid; a change to one service updates that uid only;
// the TOML of --dry-run applied as a spec file is the same specs (unchanged);
// status and delete --project see the project's specs only.
func TestApplyCompose_RoundTrip(t *testing.T) {
	t.Setenv("COMPOSE_PROFILES", "")
	e := newTestEnv(t, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	text, err := os.ReadFile(filepath.Join(corpus, "networks", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(string(text))
	e.mustRun(`{"uid":"other","image":"busybox"}`, "apply", "-f", "-")
	got := outcomes(e.mustRun("", "apply", "-f", file))
	if len(got) != 3 || got["nets-web"] != "created" || got["nets-api"] != "created" || got["nets-legacy"] != "created" {
		t.Fatalf("first apply: %v", got)
	}
	for uid, o := range outcomes(e.mustRun("", "apply", "-f", file)) {
		if o != "unchanged" {
			t.Errorf("re-apply: %s %s", uid, o)
		}
	}
	toml := e.mustRun("", "apply", "-f", file, "--dry-run")
	for uid, o := range outcomes(e.mustRun(toml, "apply", "-f", "-", "--format", "toml")) {
		if o != "unchanged" {
			t.Errorf("the dry run's TOML applied: %s %s", uid, o)
		}
	}
	e.mustRun("", "reconcile")
	before := instanceIDs(e)
	write(strings.Replace(string(text), "image: example/api:1", "image: example/api:2", 1))
	got = outcomes(e.mustRun("", "apply", "-f", file))
	if got["nets-api"] != "updated (generation 2)" || got["nets-web"] != "unchanged" || got["nets-legacy"] != "unchanged" {
		t.Errorf("one service changed: %v", got)
	}
	e.mustRun("", "reconcile")
	after := instanceIDs(e)
	for uid, id := range before {
		if replaced := after[uid] != id; replaced != (uid == "nets-api") || after[uid] == "" {
			t.Errorf("%s: instance %s before, %s after the change of nets-api alone", uid, id, after[uid])
		}
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("", "status", "--project", "nets", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, r := range rows {
		uids = append(uids, r["uid"].(string))
	}
	sort.Strings(uids)
	if strings.Join(uids, " ") != "nets-api nets-legacy nets-web" {
		t.Errorf("status --project: %v", uids)
	}
	e.mustRun("", "delete", "--project", "nets")
	if _, errOut, code := e.run("", "status", "--project", "nets"); code != 2 || !strings.Contains(errOut, `no spec of project "nets"`) {
		t.Errorf("status of a deleted project: exit %d %s", code, errOut)
	}
	if out := e.mustRun("", "status", "other"); !strings.Contains(out, "other") {
		t.Errorf("delete --project took another spec: %s", out)
	}
}

// TestApplyCompose_Refused: a refused key exits 2 naming the service and
// the key, writes nothing; stdin needs no --format when it has services:.
func TestApplyCompose_Refused(t *testing.T) {
	e := newBareTestEnv(t, "")
	_, errOut, code := e.run("services:\n  web:\n    image: x\n    privileged: true\n", "apply", "-f", "-")
	if code != 2 || !strings.Contains(errOut, "service web: privileged:") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = e.run("services:\n  web:\n    image: x\n", "apply", "-f", "-", "--format", "toml")
	if code != 2 {
		t.Errorf("compose read as TOML: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Errorf("a refused apply created the database: %v", err)
	}
	out, errOut, code := e.run("services:\n  web:\n    image: x\n    container_name: web-1\n", "apply", "-f", "-", "--format", "compose", "--project", "p", "--dry-run", "--json")
	if code != 0 || !strings.Contains(out, `"uid": "p-web"`) || !strings.Contains(errOut, `note: service web: container_name "web-1" ignored`) {
		t.Errorf("--format compose --project p: %s", out)
	}
}

// bigCompose is a compose file of n services, each with env values that
// bring the file to about size bytes.
func bigCompose(n, size int) string {
	var b strings.Builder
	b.WriteString("name: big\nservices:\n")
	pad := strings.Repeat("x", size/n-150)
	for i := range n {
		fmt.Fprintf(&b, "  svc%03d:\n    image: registry.example/app:%d\n    command: [\"serve\", \"--id\", \"%d\"]\n", i, i, i)
		fmt.Fprintf(&b, "    ports: [\"%d:8080\"]\n    volumes: [\"./data%03d:/data\"]\n    environment:\n      PAD: %q\n", 20000+i, i, pad)
	}
	return b.String()
}

// TestSoak_ApplyCompose500Services: a 1 MiB compose file of 500 services is
// applied in one transaction: all 500 created, or, with one bad service,
// none. The time is logged, not asserted.
func TestSoak_ApplyCompose500Services(t *testing.T) {
	e := newBareTestEnv(t, "")
	dir := t.TempDir()
	text := bigCompose(500, 1<<20)
	if len(text) < 1<<20-(1<<14) {
		t.Fatalf("the file is %d bytes", len(text))
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(text, "registry.example/app:499", "-bad", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := e.run("", "apply", "-f", bad); code != 2 || !strings.Contains(errOut, "svc499") {
		t.Fatalf("one bad service: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(e.DB); !os.IsNotExist(err) {
		t.Fatal("a refused apply wrote the database")
	}
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := e.mustRun("", "apply", "-f", file)
	t.Logf("apply of %d bytes, 500 services: %v", len(text), time.Since(start))
	if n := strings.Count(out, " created\n"); n != 500 {
		t.Fatalf("%d created", n)
	}
	start = time.Now()
	out = e.mustRun("", "apply", "-f", file)
	t.Logf("re-apply, unchanged: %v", time.Since(start))
	if n := strings.Count(out, " unchanged\n"); n != 500 {
		t.Fatalf("re-apply: %d unchanged", n)
	}
}

// instanceIDs maps each uid on the simulated host to its instance's id.
func instanceIDs(e *testEnv) map[string]string {
	out := map[string]string{}
	for _, in := range e.HostList() {
		out[in.UID] = string(in.ID)
	}
	return out
}
