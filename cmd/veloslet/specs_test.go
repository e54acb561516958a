package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const launchSpec = `[[spec]]
uid = "web"
image = "busybox"
command = ["httpd", "-f"]
ports = ["127.0.0.1:8080:80", "5353:53/udp"]
volumes = ["webdata:/data", "/srv/site:/www:ro"]
tmpfs = ["/run"]
workdir = "/srv"
user = "1000:1000"
entrypoint = ["/bin/sh", "-c"]
network = "backend"
network_aliases = ["db"]
stop_signal = "SIGQUIT"
stop_timeout = "10s"
init = true
read_only = true
cap_add = ["NET_ADMIN"]
cap_drop = ["ALL"]
`

// TestApply_LaunchFields: apply takes every launch field; describe shows
// each, and --json carries them under the spec with the keys of the file; a
// re-apply is unchanged and a port change is a new generation.
func TestApply_LaunchFields(t *testing.T) {
	e := newTestEnv(t, "")
	if out := e.mustRun(launchSpec, "apply", "-f", "-"); !strings.Contains(out, "created") {
		t.Fatalf("apply: %s", out)
	}
	out := e.mustRun("", "describe", "web")
	for _, want := range []string{`ports:     ["127.0.0.1:8080:80/tcp","5353:53/udp"]`, `volumes:   ["webdata:/data","/srv/site:/www:ro"]`,
		`tmpfs:     ["/run"]`, "workdir:   /srv", "user:      1000:1000", `entrypoint: ["/bin/sh","-c"]`,
		"network:   backend", `network_aliases: ["db"]`, "stop_signal: SIGQUIT", "stop_timeout: 10s", "init:      true",
		"read_only: true", `cap_add:   ["NET_ADMIN"]`, `cap_drop:  ["ALL"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	var d struct {
		Spec map[string]any `json:"spec"`
	}
	js := e.mustRun("", "describe", "web", "--json")
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ports", "volumes", "tmpfs", "workdir", "user", "entrypoint", "network", "network_aliases",
		"stop_signal", "stop_timeout", "init", "read_only", "cap_add", "cap_drop"} {
		if _, ok := d.Spec[k]; !ok {
			t.Errorf("describe --json spec lacks %s: %s", k, js)
		}
	}
	if d.Spec["stop_timeout"] != "10s" || d.Spec["workdir"] != "/srv" {
		t.Errorf("describe --json = %v", d.Spec)
	}
	if out := e.mustRun(launchSpec, "apply", "-f", "-"); !strings.Contains(out, "unchanged") {
		t.Fatalf("re-apply: %s", out)
	}
	changed := strings.Replace(launchSpec, "127.0.0.1:8080:80", "127.0.0.1:8081:80", 1)
	if out := e.mustRun(changed, "apply", "-f", "-"); !strings.Contains(out, "generation 2") {
		t.Fatalf("port change: %s", out)
	}
}

// TestApply_HostileLaunchFieldsRefused: a bad value exits 2 naming the
// field and the value, and nothing is stored.
func TestApply_HostileLaunchFieldsRefused(t *testing.T) {
	e := newTestEnv(t, "")
	e.mustRun(`{"uid":"ok","image":"b"}`, "apply", "-f", "-")
	for in, want := range map[string]string{
		`{"uid":"a","image":"b","ports":["70000:80"]}`:                      `ports = "70000:80"`,
		`{"uid":"a","image":"b","volumes":["data:/x", "./rel:/y"]}`:         `volumes = "./rel:/y"`,
		`{"uid":"a","image":"b","volumes":["/srv/../etc:/x"]}`:              `'..'`,
		`{"uid":"a","image":"b","stop_signal":"SIGNOPE"}`:                   `stop_signal = "SIGNOPE"`,
		`{"uid":"a","image":"b","stop_timeout":"-5s"}`:                      `stop_timeout = "-5s"`,
		`{"uid":"a","image":"b","user":"-u"}`:                               `user = "-u"`,
		`{"uid":"a","image":"b","entrypoint":["--privileged"]}`:             `entrypoint[0] = "--privileged"`,
		`{"uid":"a","image":"b","workdir":"srv"}`:                           `workdir = "srv"`,
		`{"uid":"a","image":"b","tmpfs":["/run:exec"]}`:                     `tmpfs[0] = "/run:exec"`,
		`{"uid":"a","image":"b","cap_add":["net_admin"]}`:                   `cap_add[0] = "net_admin"`,
		`{"uid":"a","image":"b","network":"n","network_aliases":["-x"]}`:    `network_aliases[0] = "-x"`,
		`{"uid":"a","image":"b","cmd":["x"],"working_dir":"/x","name":"a"}`: "cmd (did you mean command?); unknown key working_dir (did you mean workdir?); unknown key name (did you mean uid?)",
	} {
		_, errOut, code := e.run(in, "apply", "-f", "-")
		if code != ExitUsage || !strings.Contains(errOut, want) {
			t.Errorf("apply %s: exit %d, %s; want 2 and %q", in, code, errOut, want)
		}
	}
	if out := e.mustRun("", "status"); strings.Contains(out, "\na ") || !strings.Contains(out, "ok") {
		t.Fatalf("a refused spec was stored:\n%s", out)
	}
}
