package main

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestConfig_Example loads config.example.toml: it must parse, validate, hold
// exactly the defaults, and mention every key.
func TestConfig_Example(t *testing.T) {
	cfg, err := ReadConfigFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("config.example.toml differs from DefaultConfig:\n got %+v\nwant %+v", cfg, want)
	}
	text, _ := os.ReadFile("../../config.example.toml")
	var all map[string]any
	var buf strings.Builder
	if err := toml.NewEncoder(&buf).Encode(DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	md, err := toml.Decode(buf.String(), &all)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range md.Keys() {
		want := key[len(key)-1] + " ="
		if md.Type(key...) == "Hash" {
			want = "[" + key.String() + "]"
		}
		if !strings.Contains(string(text), want) {
			t.Errorf("config.example.toml does not document %s", key)
		}
	}
}

func TestParseConfig_Errors(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		want       []string // substrings of the error
	}{
		{"UnknownKey", "[reconcile]\nschedul = \"@every 1s\"", []string{"unknown key reconcile.schedul (did you mean schedule?)"}},
		{"UnknownSection", "[reconcil]\nschedule = \"@every 1s\"", []string{"unknown key reconcil (did you mean reconcile?)"}},
		{"UnknownKeyNoSuggestion", "[runtime]\nbogus_setting = 1", []string{"unknown key runtime.bogus_setting"}},
		{"MistypedPrefix", "[runtime]\nname_prefx = \"v-\"", []string{"unknown key runtime.name_prefx (did you mean name_prefix?)"}},
		{"BadCron", "[reconcile]\nschedule = \"every ten seconds\"", []string{"reconcile.schedule", "every ten seconds"}},
		{"NegativeEvery", "[reconcile]\nschedule = \"@every -5s\"", []string{"reconcile.schedule", "-5s"}},
		{"BadDuration", "[runtime]\ncall_timeout = \"soon\"", []string{"soon", "duration"}},
		{"ZeroTimeout", "[runtime]\ncall_timeout = \"0s\"", []string{"runtime.call_timeout", "0s"}},
		{"BadBackend", "[runtime]\nbackend = \"dokker\"", []string{"runtime.backend", "dokker"}},
		{"ZeroApplePoll", "[runtime.apple]\npoll = \"0s\"", []string{"runtime.apple.poll", "0s"}},
		{"ApplePollMaxBelowPoll", "[runtime.apple]\npoll = \"5s\"\npoll_max = \"1s\"", []string{"runtime.apple.poll_max", "1s", "5s"}},
		{"LongLogsTimeout", "[logs]\ntimeout = \"10h\"", []string{"logs.timeout", "10h", "at most 1m"}},
		{"SmallLogMaxSize", "[logs]\nmax_size = 1000", []string{"logs.max_size", "1000", "at least 65536"}},
		{"BadDockerHost", "[runtime.docker]\nhost = \"ssh://me@box\"", []string{"runtime.docker.host", "ssh://me@box", "unix://"}},
		{"UnknownDockerKey", "[runtime.docker]\nsocket = \"/x\"", []string{"runtime.docker.socket"}},
		{"BadPrefix", "[runtime]\nname_prefix = \"-x\"", []string{"runtime.name_prefix", "-x"}},
		{"LongPrefix", "[runtime]\nname_prefix = \"a-very-long-prefix-\"", []string{"runtime.name_prefix"}},
		{"BadLevel", "[log]\nlevel = \"loud\"", []string{"log.level", "loud"}},
		{"BadConcurrency", "[reconcile]\nconcurrency = 0", []string{"reconcile.concurrency", "0"}},
		{"NegativeResync", "[reconcile]\nresync = \"-1m\"", []string{"reconcile.resync", "-1m"}},
		{"BadBackoff", "[restart]\nbackoff_max = \"1s\"", []string{"restart.backoff_max", "1s"}},
		{"BadJitter", "[restart]\njitter = 2.0", []string{"restart.jitter", "2"}},
		{"WrongType", "[reconcile]\nconcurrency = \"four\"", []string{"concurrency"}},
		{"Syntax", "[reconcile\nschedule = 1", []string{"line 2", "table name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.toml))
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err=%v, want ErrConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"512M": 512 << 20, "1G": 1 << 30, "1.5GiB": 3 << 29, "1048576": 1 << 20, "64k": 64 << 10, "2MB": 2 << 20,
	} {
		if got, err := ParseMemory(in); err != nil || got != want {
			t.Errorf("ParseMemory(%q)=%d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1G", "12X", "1Q", "NaN", "2P"} {
		if _, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) accepted", in)
		}
	}
}

// TestResolveBackend_AutoNeverFallsBack shows that "auto" with no runtime CLI
// anywhere is an error naming what it looked for, never the fake.
func TestResolveBackend_AutoNeverFallsBack(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	c := DefaultConfig().Runtime
	c.Podman.Binary, c.Apple.Binary = "no-such-runtime-cli", "no-such-runtime-cli"
	backend, err := resolveBackend(c)
	if !errors.Is(err, errNoRuntime) || backend != "" {
		t.Fatalf("backend=%q err=%v, want errNoRuntime", backend, err)
	}
	for _, want := range []string{"no-such-runtime-cli", "$PATH", "runtime.backend"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestParseConfig_HTTPListen(t *testing.T) {
	for listen, ok := range map[string]bool{
		"127.0.0.1:9469": true, "localhost:9469": true, "[::1]:9469": true,
		"0.0.0.0:9469": false, "10.1.2.3:80": false, ":9469": false, "nonsense": false,
	} {
		_, err := ParseConfig(strings.NewReader("[http]\nlisten = \"" + listen + "\"\n"))
		if (err == nil) != ok {
			t.Errorf("listen %q: err=%v, want ok=%v", listen, err, ok)
		}
	}
	if _, err := ParseConfig(strings.NewReader("[http]\nlisten = \"0.0.0.0:9469\"\nallow_remote = true\n")); err != nil {
		t.Errorf("allow_remote did not allow 0.0.0.0: %v", err)
	}
}
