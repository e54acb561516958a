package apple_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/veloslet/veloslet/runtime/apple/appletest"
)

// TestEmulator_RunOptionSince: each `run` option the spec maps to is
// refused as a usage error (exit 64, "Unknown option") by an emulated
// release older than the one whose Flags.swift introduced it, and accepted
// from that release on.
func TestEmulator_RunOptionSince(t *testing.T) {
	dir := t.TempDir()
	options := []struct {
		args  []string
		since string
	}{
		{[]string{"--network", "default"}, "0.2.0"},
		{[]string{"--publish", "8080:80"}, "0.3.0"},
		{[]string{"--read-only"}, "0.8.0"},
		{[]string{"--init"}, "0.10.0"},
		{[]string{"--cap-add", "NET_ADMIN"}, "0.12.0"},
		{[]string{"--cap-drop", "ALL"}, "0.12.0"},
		{[]string{"--workdir", "/srv", "--user", "1000:1000", "--entrypoint", "/bin/sh", "--tmpfs", "/run",
			"--volume", dir + ":/www:ro", "--mount", "type=tmpfs,target=/x"}, "0.1.0"},
	}
	for _, v := range appletest.Versions[:5] {
		for i, o := range options {
			env := appletest.Env(t.TempDir(), v)
			args := append(append([]string{"run", "--detach", "--name", fmt.Sprintf("c%d", i)}, o.args...), "alpine", "sleep", "infinity")
			_, stderr, code := emu(t, env, args...)
			if older(v, o.since) {
				if code != 64 || !strings.Contains(stderr, "Unknown option '"+o.args[0]+"'") {
					t.Errorf("%s %v: exit %d, %q; want 64, Unknown option", v, o.args, code, stderr)
				}
			} else if code != 0 {
				t.Errorf("%s %v: exit %d, %q; want 0", v, o.args, code, stderr)
			}
		}
	}
}

// TestEmulator_PublishParserPerRelease: Parser.publishPort splits on ':'
// with no brackets up to 0.7 (an IPv6 host address is refused) and from
// 0.8 reads [v6]:host:container and refuses port 1; a bind mount's host path
// must exist (Parser.volume, every tag).
func TestEmulator_PublishParserPerRelease(t *testing.T) {
	for _, c := range []struct {
		version, arg string
		code         int
		stderr       string
	}{
		{"0.6.0", "[::1]:8443:443", 1, "invalid publish address: [::1]:8443:443"},
		{"0.9.0", "[::1]:8443:443", 0, ""},
		{"0.6.0", "1:80", 0, ""},
		{"1.2.2", "1:80", 1, "invalid publish host port range: 1"},
		{"1.2.2", "8080:80/sctp", 1, "invalid publish protocol: sctp"},
	} {
		_, stderr, code := emu(t, appletest.Env(t.TempDir(), c.version), "run", "--detach", "--name", "pub", "--publish", c.arg, "alpine")
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s --publish %s: exit %d, %q; want %d, %q", c.version, c.arg, code, stderr, c.code, c.stderr)
		}
	}
	_, stderr, code := emu(t, appletest.Env(t.TempDir(), "1.2.2"), "run", "--detach", "--name", "bind", "--volume", "/nonexistent/x:/www", "alpine")
	if code != 1 || !strings.Contains(stderr, "path '/nonexistent/x' does not exist") {
		t.Errorf("bind of a missing path: exit %d, %q", code, stderr)
	}
}

// TestEmulator_RunOptionsInInspect: what `run` was given shows in inspect's
// configuration as the release encodes ContainerConfiguration (its
// CodingKeys at the tag): publishedPorts (count from 0.8), mounts with the
// Filesystem type as a Swift enum, networks, initProcess's workingDirectory
// and raw user, readOnly from 0.8, useInit from 0.10, capAdd/capDrop (CAP_
// names) from 0.12.
func TestEmulator_RunOptionsInInspect(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"0.9.0", "1.2.2"} {
		env := appletest.Env(t.TempDir(), v)
		args := []string{"run", "--detach", "--name", "web", "--workdir", "/srv", "--user", "1000:1000",
			"--publish", "127.0.0.1:8080:80/tcp", "--volume", "webdata:/data", "--volume", dir + ":/www:ro",
			"--tmpfs", "/run", "--network", "backend", "--read-only"}
		if v == "1.2.2" {
			args = append(args, "--init", "--cap-add", "net_admin", "--cap-drop", "ALL")
		}
		if _, stderr, code := emu(t, env, append(args, "alpine", "sleep", "infinity")...); code != 0 {
			t.Fatalf("%s run: %s", v, stderr)
		}
		out, stderr, code := emu(t, env, "inspect", "web")
		if code != 0 {
			t.Fatalf("%s inspect: %s", v, stderr)
		}
		var got []struct {
			Configuration map[string]json.RawMessage `json:"configuration"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
			t.Fatalf("%s inspect: %v: %s", v, err, out)
		}
		cfg := got[0].Configuration
		want := map[string]string{
			"publishedPorts": `[{"containerPort":80,"count":1,"hostAddress":"127.0.0.1","hostPort":8080,"proto":"tcp"}]`,
			"mounts": `[{"destination":"/data","options":[],"source":"/volumes/webdata/volume.img","type":{"volume":{"cache":{"on":{}},"format":"ext4","name":"webdata","sync":{"fsync":{}}}}},` +
				`{"destination":"/www","options":["ro"],"source":"` + dir + `","type":{"virtiofs":{}}},` +
				`{"destination":"/run","options":[],"source":"tmpfs","type":{"tmpfs":{}}}]`,
			"networks": `[{"network":"backend","options":{"hostname":"web"}}]`,
			"readOnly": `true`,
		}
		if v == "1.2.2" {
			want["useInit"], want["capAdd"], want["capDrop"] = `true`, `["CAP_NET_ADMIN"]`, `["ALL"]`
		} else {
			for _, k := range []string{"useInit", "capAdd", "capDrop"} {
				if _, ok := cfg[k]; ok {
					t.Errorf("%s: %s present; the release has no such key", v, k)
				}
			}
		}
		for k, w := range want {
			if compact(cfg[k]) != w {
				t.Errorf("%s %s = %s, want %s", v, k, cfg[k], w)
			}
		}
		var proc struct {
			WorkingDirectory string          `json:"workingDirectory"`
			User             json.RawMessage `json:"user"`
		}
		if err := json.Unmarshal(cfg["initProcess"], &proc); err != nil || proc.WorkingDirectory != "/srv" ||
			compact(proc.User) != `{"raw":{"userString":"1000:1000"}}` {
			t.Errorf("%s initProcess %s (%v)", v, cfg["initProcess"], err)
		}
	}
}

// compact is the JSON without the pretty-printing inspect adds.
func compact(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return string(b)
	}
	return out.String()
}
